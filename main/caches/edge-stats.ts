/**
 * @module What an edge says of itself in its `/health` body (edge/health.ts), or in the
 * heartbeat it sends main: the store's use and the requests it answered. Parsed defensively:
 * the body comes from the network, a field that is not a finite number is left out.
 */

import type { CacheNodeStats } from '../metadata/caches.js';

/** Blob requests answered from the store (`hits`), and those fetched upstream (coalesced ones included). */
export type EdgeStats = CacheNodeStats;

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;

/** The stats in an edge's health details (`store`, `requests`); undefined when there are none. */
export function edgeStatsOf(details: unknown): EdgeStats | undefined {
  const store = field(details, 'store');
  const requests = field(details, 'requests');
  const stats: EdgeStats = {};
  const set = (name: keyof EdgeStats, value: unknown) => {
    const n = count(value);
    if (n !== undefined) stats[name] = n;
  };
  set('storeBytes', field(store, 'bytes'));
  set('maxBytes', field(store, 'maxBytes'));
  set('blobs', field(store, 'blobs'));
  set('hits', field(requests, 'hits'));
  set('misses', field(requests, 'misses'));
  return Object.keys(stats).length > 0 ? stats : undefined;
}

/** The stats in a `/health` answer's text (`{ status, ...details }`). */
export function parseEdgeStats(body: string): EdgeStats | undefined {
  try {
    return edgeStatsOf(JSON.parse(body) as unknown);
  } catch {
    return undefined;
  }
}

/** Hits over all blob requests, 0..1; undefined before the first request. */
export function hitRatio(stats: EdgeStats | undefined): number | undefined {
  const total = (stats?.hits ?? 0) + (stats?.misses ?? 0);
  return total > 0 ? (stats?.hits ?? 0) / total : undefined;
}
