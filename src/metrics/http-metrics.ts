/**
 * @module HTTP request metrics shared by both services, registered on the service's own registry,
 * and the process metrics (`collectDefaultMetrics`, `outpost_build_info`) every service exposes.
 *
 * Labels use the route template, written without router syntax (`/v2/{name}/blobs/{digest}`),
 * never the raw path, so the number of series stays bounded whatever clients send.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'code'>;
  duration: Histogram<'method' | 'route'>;
  bytesIn: Counter<'route'>;
  bytesOut: Counter<'route'>;
}

/** The label of requests no route matched (404s for unknown paths). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A router template as a label: `/v2/:name{.+}/blobs/:digest` -> `/v2/{name}/blobs/{digest}`
 * (the OpenAPI way of writing a path parameter), so a dashboard reads without Hono's syntax.
 */
export function routeLabel(template: string): string {
  const label = template.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}').replace(/\/+$/, '');
  return label === '' ? '/' : label;
}

export function createHttpMetrics(registry: Registry, prefix: string): HttpMetrics {
  return {
    requests: new Counter({
      name: `${prefix}_http_requests_total`,
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}_http_request_duration_seconds`,
      help: 'Time from request to the end of the response headers and body',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    bytesIn: new Counter({
      name: `${prefix}_http_request_bytes_total`,
      help: 'Request body bytes received, by route template',
      labelNames: ['route'],
      registers: [registry],
    }),
    bytesOut: new Counter({
      name: `${prefix}_http_response_bytes_total`,
      help: 'Response body bytes sent, by route template',
      labelNames: ['route'],
      registers: [registry],
    }),
  };
}

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface BuildInfo {
  version: string;
  role: 'main' | 'edge';
}

/**
 * Node's process and runtime metrics under their standard names (`process_cpu_seconds_total`,
 * `nodejs_eventloop_lag_seconds`, ...: no prefix, so stock dashboards work), and
 * `outpost_build_info` = 1 with what is running as labels (the Prometheus "info" pattern).
 */
export function registerProcessMetrics(registry: Registry, build: BuildInfo): void {
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges `_total`, which Prometheus keeps for counters (promtool refuses
  // them); their per-type twins (`nodejs_active_handles{type}`, ...) carry the same numbers.
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  new Gauge({
    name: 'outpost_build_info',
    help: 'Always 1; the labels say which version of outpost runs, on which Node.js, as main or edge',
    labelNames: ['version', 'node_version', 'role'],
    registers: [registry],
  }).set({ version: build.version, node_version: process.version, role: build.role }, 1);
}

/** Sets each combination of `values` to 0, so a rate over a series that has not moved yet reads 0, not nothing. */
export function initLabels<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): void {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
}
