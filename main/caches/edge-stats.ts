/**
 * @module What an edge says of itself in its `/health` body (edge/health.ts), or in the
 * heartbeat it sends main: the store's use, the requests it answered, and its traffic (bytes served
 * and fetched, evictions), cumulative since it started. Parsed defensively: the body comes from the network.
 */

import { AccountError } from '../accounts/errors.js';
import type { CacheNodeStats } from '../metadata/caches.js';

/** Blob requests answered from the store (`hits`), and those fetched upstream (coalesced ones included). */
export type EdgeStats = CacheNodeStats;

/** Where each stat sits in the edge's health details (edge/health.ts): `[section, field]`. */
const FIELDS: Record<keyof EdgeStats, readonly [string, string]> = {
  storeBytes: ['store', 'bytes'],
  maxBytes: ['store', 'maxBytes'],
  blobs: ['store', 'blobs'],
  hits: ['requests', 'hits'],
  misses: ['requests', 'misses'],
  servedBytes: ['traffic', 'servedBytes'],
  upstreamBytes: ['traffic', 'upstreamBytes'],
  evictions: ['traffic', 'evictions'],
};

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;

/**
 * The stats in an edge's health details; undefined when there are none. `strict` (a heartbeat,
 * whose sender main authenticated): a stat that is present but not a non-negative safe integer
 * throws INVALID_INPUT, so a bad report is refused rather than stored in part. Otherwise (a
 * probe's answer) such a stat is left out.
 */
export function edgeStatsOf(details: unknown, strict = false): EdgeStats | undefined {
  const stats: EdgeStats = {};
  for (const [name, [section, key]] of Object.entries(FIELDS) as [keyof EdgeStats, readonly [string, string]][]) {
    const value = field(field(details, section), key);
    if (value === undefined) continue;
    const n = count(value);
    if (n !== undefined) stats[name] = n;
    else if (strict)
      throw new AccountError('INVALID_INPUT', `details.${section}.${key} must be a non-negative integer`);
  }
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
