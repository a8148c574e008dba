/**
 * @module The samples behind the admin caches dashboard: each heartbeat's counters (edge-stats.ts),
 * written through the caches owner (at most one per node and minute, 25 hours kept;
 * main/metadata/caches.ts), and the windows read from them and from each replica's redirect
 * samples (redirect-samples.ts). Knows nothing of HTTP or of a database.
 */
import { USAGE_SAMPLE_RETENTION_MS, type CacheStore, type CacheUsageSample } from '../metadata/caches.js';
import { nodesOf } from './cache-nodes.js';
import { groupUsage, nodeUsage, type CacheUsage } from './cache-usage-windows.js';
import type { ContentCache } from './content-caches.js';
import type { EdgeStats } from './edge-stats.js';

/** The sample of a heartbeat's stats; undefined for an edge that sent none (one older than the dashboard). */
export function usageSampleOf(stats: EdgeStats | undefined, at: number): CacheUsageSample | undefined {
  if (!stats) return undefined;
  return {
    at,
    hits: stats.hits ?? 0,
    misses: stats.misses ?? 0,
    servedBytes: stats.servedBytes ?? 0,
    upstreamBytes: stats.upstreamBytes ?? 0,
    evictions: stats.evictions ?? 0,
    blobs: stats.blobs ?? 0,
    storeBytes: stats.storeBytes ?? 0,
    maxBytes: stats.maxBytes ?? 0,
  };
}

export interface UsageRecorderDeps {
  store: Pick<CacheStore, 'recordUsageSample'>;
  now: () => number;
}

/** Records a node's heartbeat stats as a usage sample (rejects when the write fails). */
export function createUsageRecorder(deps: UsageRecorderDeps) {
  return async (key: string, stats: EdgeStats | undefined): Promise<void> => {
    const sample = usageSampleOf(stats, deps.now());
    if (sample) await deps.store.recordUsageSample(key, sample);
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;

/** A cache's usage: the group's totals and each node's (in the group's node order). */
export interface CacheUsageView extends CacheUsage {
  nodes: ({ id: string } & CacheUsage)[];
}

/** Reads a cache's samples (the whole retention, so the day has its start) and makes its windows. */
export function createUsageReader(deps: {
  store: Pick<CacheStore, 'listUsageSamples' | 'listRedirectSamples'>;
  now: () => number;
}) {
  return async (cache: ContentCache): Promise<CacheUsageView> => {
    const now = deps.now();
    const since = now - USAGE_SAMPLE_RETENTION_MS;
    const [samples, redirects] = await Promise.all([
      deps.store.listUsageSamples(cache.name, since),
      deps.store.listRedirectSamples(cache.name, since),
    ]);
    const nodes = nodesOf(cache).map((node) => ({
      id: node.id,
      ...nodeUsage(samples.get(node.key) ?? [], now, redirects.get(node.key) ?? []),
    }));
    return { ...groupUsage(nodes, now), nodes };
  };
}

export type UsageReader = ReturnType<typeof createUsageReader>;
