/**
 * @module The samples behind the admin caches dashboard: each heartbeat's counters (edge-stats.ts)
 * plus the redirects main sent the node, written through the caches owner (at most one per node
 * and minute, 25 hours kept; main/metadata/caches.ts). Knows nothing of HTTP or of a database.
 *
 * Redirects are counted by the replica that decides them, in memory, since it started: a sample
 * carries the count of the replica that received the heartbeat (one main: all of them).
 */
import { USAGE_SAMPLE_RETENTION_MS, type CacheStore, type CacheUsageSample } from '../metadata/caches.js';
import { nodesOf } from './cache-nodes.js';
import { groupUsage, nodeUsage, type CacheUsage } from './cache-usage-windows.js';
import type { ContentCache } from './content-caches.js';
import type { EdgeStats } from './edge-stats.js';

/** Redirects this main sent to each node (by `nodeKey`) since it started. */
export class RedirectTally {
  private readonly counts = new Map<string, number>();

  note(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** The sample of a heartbeat's stats; undefined for an edge that sent none (one older than the dashboard). */
export function usageSampleOf(
  stats: EdgeStats | undefined,
  redirects: number,
  at: number,
): CacheUsageSample | undefined {
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
    redirects,
  };
}

export interface UsageRecorderDeps {
  store: Pick<CacheStore, 'recordUsageSample'>;
  tally: RedirectTally;
  now: () => number;
}

/** Records a node's heartbeat stats as a usage sample (rejects when the write fails). */
export function createUsageRecorder(deps: UsageRecorderDeps) {
  return async (key: string, stats: EdgeStats | undefined): Promise<void> => {
    const sample = usageSampleOf(stats, deps.tally.count(key), deps.now());
    if (sample) await deps.store.recordUsageSample(key, sample);
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;

/** A cache's usage: the group's totals and each node's (in the group's node order). */
export interface CacheUsageView extends CacheUsage {
  nodes: ({ id: string } & CacheUsage)[];
}

/** Reads a cache's samples (the whole retention, so the day has its start) and makes its windows. */
export function createUsageReader(deps: { store: Pick<CacheStore, 'listUsageSamples'>; now: () => number }) {
  return async (cache: ContentCache): Promise<CacheUsageView> => {
    const now = deps.now();
    const samples = await deps.store.listUsageSamples(cache.name, now - USAGE_SAMPLE_RETENTION_MS);
    const nodes = nodesOf(cache).map((node) => ({ id: node.id, ...nodeUsage(samples.get(node.key) ?? [], now) }));
    return { ...groupUsage(nodes, now), nodes };
  };
}

export type UsageReader = ReturnType<typeof createUsageReader>;
