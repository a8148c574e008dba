/** @module `/health` and `/metrics`, the routes operators and orchestrators poll. */
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** A health check reports details and whether the service can do its job. */
export type HealthCheck = () => Promise<{ ok: boolean; details: Record<string, unknown> }>;

export function opsRoutes({ health, metrics }: { health: HealthCheck; metrics: Registry }): Hono {
  const app = new Hono();
  app.get('/health', async (c) => {
    const { ok, details } = await health();
    c.header('Cache-Control', 'no-store');
    return c.json({ status: ok ? 'ok' : 'unavailable', ...details }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType }));
  return app;
}
