/**
 * @module Middleware that counts requests by method, route template and status.
 */
import type { MiddlewareHandler } from 'hono';
import type { HttpMetrics } from '../metrics/http-metrics.js';

export function requestMetrics(metrics: HttpMetrics): MiddlewareHandler {
  return async function recordRequest(c, next) {
    const started = performance.now();
    await next();
    // routePath is the matched template; unmatched requests share one label.
    const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
    const status = c.get('sentStatus') ?? c.res.status;
    metrics.requests.inc({ method: c.req.method, route, status: String(status) });
    metrics.duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    const sent = c.get('sentBytes') ?? Number(c.res.headers.get('content-length') ?? 0);
    if (sent > 0 && c.req.method !== 'HEAD') metrics.bytesOut.inc({ route }, sent);
    const received = Number(c.req.header('content-length') ?? 0);
    if (received > 0) metrics.bytesIn.inc({ route }, received);
  };
}
