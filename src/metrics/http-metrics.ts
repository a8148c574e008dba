/**
 * @module HTTP request metrics shared by both services, registered on the service's own registry.
 *
 * Labels use the route template (`/v2/:name{.+}/blobs/:digest`), never the raw path, so the
 * number of series stays bounded whatever clients send.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  bytesIn: Counter<'route'>;
  bytesOut: Counter<'route'>;
}

export function createHttpMetrics(registry: Registry, prefix: string): HttpMetrics {
  return {
    requests: new Counter({
      name: `${prefix}_http_requests_total`,
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
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
