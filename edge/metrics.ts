/**
 * @module The edge's Prometheus metrics, on a registry of its own.
 *
 * Blob-serving results (`outpost_edge_blob_requests_total{result}`) are a family of their own,
 * named apart from the HTTP requests (`outpost_edge_http_requests_total{method,route,code}`), which
 * count every answer of every route. Counters with a known set of label values start at 0.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  createHttpMetrics,
  initLabels,
  registerProcessMetrics,
  type HttpMetrics,
} from '../src/metrics/http-metrics.js';

export const REQUEST_RESULTS = ['hit', 'miss', 'coalesced', 'denied', 'error'] as const;
export type RequestResult = (typeof REQUEST_RESULTS)[number];
export const EVICTION_REASONS = ['space', 'ttl', 'purge'] as const;
export const UPSTREAM_OUTCOMES = ['ok', 'error'] as const;
/** Why a redirect token was refused: src/auth/token-errors.ts's codes, and none presented. */
export const REDIRECT_TOKEN_REFUSALS = [
  'OUTPOST_TOKEN_MISSING',
  'OUTPOST_TOKEN_MALFORMED',
  'OUTPOST_TOKEN_EXPIRED',
  'OUTPOST_TOKEN_SIGNATURE',
  'OUTPOST_TOKEN_UNKNOWN_KEY',
  'OUTPOST_TOKEN_CLAIMS',
] as const;

export interface EdgeStoreSnapshot {
  bytes: number;
  blobs: number;
  degraded?: boolean;
}

export interface EdgeMetrics {
  registry: Registry;
  http: HttpMetrics;
  blobRequests: Counter<'result'>;
  redirectTokenRefusals: Counter<'reason'>;
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

export interface EdgeMetricsOptions {
  store: () => EdgeStoreSnapshot;
  /** The store's budget (config `maxBytes`), in bytes. */
  capacityBytes: number;
  version: string;
}

export function createEdgeMetrics({ store, capacityBytes, version }: EdgeMetricsOptions): EdgeMetrics {
  const registry = new Registry();
  const registers = [registry];
  registerProcessMetrics(registry, { version, role: 'edge' });
  new Gauge({
    name: 'outpost_edge_store_capacity_bytes',
    help: 'Bytes the store may hold (config maxBytes); eviction keeps outpost_edge_store_bytes below it',
    registers,
  }).set(capacityBytes);
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
  const metrics: EdgeMetrics = {
    registry,
    http: createHttpMetrics(registry, 'outpost_edge'),
    blobRequests: new Counter({
      name: 'outpost_edge_blob_requests_total',
      help: 'Blob GETs and HEADs by what the cache did: hit, miss, coalesced (joined a fetch under way), denied, error',
      labelNames: ['result'],
      registers,
    }),
    redirectTokenRefusals: new Counter({
      name: 'outpost_edge_redirect_token_refusals_total',
      help: 'Blob requests refused for their redirect token, by reason (missing, expired, bad signature, claims...)',
      labelNames: ['reason'],
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
      name: 'outpost_edge_blob_request_duration_seconds',
      help: 'Blob request duration until the body is sent, by result',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers,
    }),
  };
  initLabels(metrics.blobRequests, 'result', REQUEST_RESULTS);
  initLabels(metrics.evictions, 'reason', EVICTION_REASONS);
  initLabels(metrics.upstreamFetches, 'outcome', UPSTREAM_OUTCOMES);
  initLabels(metrics.redirectTokenRefusals, 'reason', REDIRECT_TOKEN_REFUSALS);
  return metrics;
}

/**
 * What the edge has done since it started, as main's dashboard needs it (/health and the
 * heartbeat carry it): hits, requests that went upstream (coalesced ones included), blob bytes
 * sent to clients and received from upstream, and blobs evicted for any reason. Cumulative: main
 * takes differences, and a counter that went down means the edge restarted.
 */
export interface EdgeCounters {
  hits: number;
  misses: number;
  servedBytes: number;
  upstreamBytes: number;
  evictions: number;
}

/** The counters of `EdgeCounters`, read from the metrics (the one record of them). */
export async function edgeCounters(
  metrics: Pick<EdgeMetrics, 'blobRequests' | 'servedBytes' | 'upstreamBytes' | 'evictions'>,
): Promise<EdgeCounters> {
  let hits = 0;
  let misses = 0;
  for (const { labels, value } of (await metrics.blobRequests.get()).values) {
    if (labels.result === 'hit') hits += value;
    else if (labels.result === 'miss' || labels.result === 'coalesced') misses += value;
  }
  const total = async (counter: Counter<string>) =>
    (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);
  return {
    hits,
    misses,
    servedBytes: await total(metrics.servedBytes),
    upstreamBytes: await total(metrics.upstreamBytes),
    evictions: await total(metrics.evictions),
  };
}
