/**
 * @module Middleware that counts requests by method, route template and status code.
 *
 * It runs first, so it sees every answer, refusals included. The route is the template of the
 * handler the router matched, not the last middleware that ran: a request the access gate
 * refuses (401) keeps its route instead of being labelled with the gate's `/v2/*`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { routeLabel, UNMATCHED_ROUTE, type HttpMetrics } from '../metrics/http-metrics.js';

/** The matched route's template as a label (`/v2/{name}/blobs/{digest}`), or `unmatched`. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  // Middlewares (`use`) are registered for the method ALL; the handler is the last route of a method.
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') return routeLabel(route.path);
  }
  return UNMATCHED_ROUTE;
}

export function requestMetrics(metrics: HttpMetrics): MiddlewareHandler {
  return async function recordRequest(c, next) {
    const started = performance.now();
    await next();
    const route = routeOf(c);
    const status = c.get('sentStatus') ?? c.res.status;
    metrics.requests.inc({ method: c.req.method, route, code: String(status) });
    metrics.duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    const sent = c.get('sentBytes') ?? Number(c.res.headers.get('content-length') ?? 0);
    if (sent > 0 && c.req.method !== 'HEAD') metrics.bytesOut.inc({ route }, sent);
    const received = Number(c.req.header('content-length') ?? 0);
    if (received > 0) metrics.bytesIn.inc({ route }, received);
  };
}
