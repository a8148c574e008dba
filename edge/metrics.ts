/** @module The edge's Prometheus metrics, on a registry of its own. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createHttpMetrics, type HttpMetrics } from '../src/metrics/http-metrics.js';

export type RequestResult = 'hit' | 'miss' | 'coalesced' | 'denied' | 'error';

export interface EdgeMetrics {
  registry: Registry;
  http: HttpMetrics;
  requests: Counter<'result'>;
  upstreamFetches: Counter<'outcome'>;
  upstreamBytes: Counter;
  upstreamFallbacks: Counter;
  servedBytes: Counter;
  frontHandOffs: Counter;
  evictions: Counter<'reason'>;
  storeWriteFailures: Counter<'code'>;
  upstreamTtfb: Histogram;
  requestDuration: Histogram<'result'>;
}

export function createEdgeMetrics(store: () => { bytes: number; blobs: number; degraded?: boolean }): EdgeMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'outpost_edge_store_bytes',
    help: 'Bytes of cached blobs on disk',
    registers,
    collect() {
      this.set(store().bytes);
    },
  });
  new Gauge({
    name: 'outpost_edge_store_blobs',
    help: 'Number of cached blobs',
    registers,
    collect() {
      this.set(store().blobs);
    },
  });
  new Gauge({
    name: 'outpost_edge_store_degraded',
    help: '1 while the last write to the store failed (misses stream through without being kept), else 0',
    registers,
    collect() {
      this.set(store().degraded ? 1 : 0);
    },
  });
  return {
    registry,
    http: createHttpMetrics(registry, 'outpost_edge'),
    requests: new Counter({
      name: 'outpost_edge_requests_total',
      help: 'Blob requests by result',
      labelNames: ['result'],
      registers,
    }),
    upstreamFetches: new Counter({
      name: 'outpost_edge_upstream_fetches_total',
      help: 'Blob fetches from upstream by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    upstreamBytes: new Counter({
      name: 'outpost_edge_upstream_bytes_total',
      help: 'Bytes received from upstream',
      registers,
    }),
    upstreamFallbacks: new Counter({
      name: 'outpost_edge_upstream_fallbacks_total',
      help: 'Blob fetches sent to main because the upstream cache failed (or failed within the last 10 s)',
      registers,
    }),
    servedBytes: new Counter({
      name: 'outpost_edge_served_bytes_total',
      help: 'Blob bytes sent to clients',
      registers,
    }),
    frontHandOffs: new Counter({
      name: 'outpost_edge_front_handoffs_total',
      help: 'Hits handed to the front server to send from the store (front mode, X-Accel-Redirect)',
      registers,
    }),
    evictions: new Counter({
      name: 'outpost_edge_evictions_total',
      help: 'Blobs removed from the cache',
      labelNames: ['reason'],
      registers,
    }),
    storeWriteFailures: new Counter({
      name: 'outpost_edge_store_write_failures_total',
      help: 'Misses that could not be kept because a store write failed, by error code',
      labelNames: ['code'],
      registers,
    }),
    upstreamTtfb: new Histogram({
      name: 'outpost_edge_upstream_ttfb_seconds',
      help: 'Time from upstream request to response headers',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'outpost_edge_request_duration_seconds',
      help: 'Blob request duration until the body is sent, by result',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers,
    }),
  };
}

/** Hits, and requests that went upstream (coalesced ones included), from `requests` (for /health). */
export async function requestCounts(metrics: Pick<EdgeMetrics, 'requests'>): Promise<{ hits: number; misses: number }> {
  let hits = 0;
  let misses = 0;
  for (const { labels, value } of (await metrics.requests.get()).values) {
    if (labels.result === 'hit') hits += value;
    else if (labels.result === 'miss' || labels.result === 'coalesced') misses += value;
  }
  return { hits, misses };
}
