/** @module `/health` and `/metrics`, the routes operators and orchestrators poll. */
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/**
 * A health check reports details and whether the service can do its job; `degraded` (a reason)
 * when it does it only in part (an edge whose disk fails streams misses through): still 200, so
 * an orchestrator keeps it in service, with `status: "degraded"` for whoever watches.
 */
export type HealthCheck = () => Promise<{ ok: boolean; degraded?: string; details: Record<string, unknown> }>;

export function opsRoutes({ health, metrics }: { health: HealthCheck; metrics: Registry }): Hono {
  const app = new Hono();
  app.get('/health', async (c) => {
    const { ok, degraded, details } = await health();
    c.header('Cache-Control', 'no-store');
    const status = !ok ? 'unavailable' : degraded !== undefined ? 'degraded' : 'ok';
    return c.json({ status, ...(ok && degraded !== undefined && { reason: degraded }), ...details }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType }));
  return app;
}
