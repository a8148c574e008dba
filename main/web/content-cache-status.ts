/**
 * @module What the pages show about content caches, read from the caches module: each cache's
 * health as main's probe last saw it, its chain up to main, its redirect count, and which
 * organization default applies to a user who picked no cache. Reads only, no hono.
 */
import type { Counter } from 'prom-client';
import type { CachePreferences } from '../metadata/accounts.js';
import { chainIn, type ContentCache } from '../caches/content-caches.js';
import type { HealthProbe } from '../caches/health-probe.js';
import { nodesOf } from '../caches/cache-nodes.js';
import { hitRatio } from '../caches/edge-stats.js';

export type HealthState =
  /** The probe's last verdict is up. */
  | 'up'
  /** Failed enough probes in a row to be skipped by redirects. */
  | 'down'
  /** Not probed yet (redirects count it as up meanwhile). */
  | 'unknown';

export interface CacheStatus {
  state: HealthState;
  checkedAt?: number;
  lastError?: string;
  /** Since when it is in this state (main's view since it started). */
  since?: number;
}

/** One node of a group, as the administration pages show it. */
export interface NodeRow {
  id: string;
  host: string;
  status: CacheStatus;
  /** When the edge last reported its own health (heartbeat). */
  heartbeatAt?: number;
  storeBytes?: number;
  maxBytes?: number;
  /** Hits over blob requests, 0..1, as the edge last reported them. */
  hitRatio?: number;
}

export function nodeRows(probe: Pick<HealthProbe, 'nodeHealth'>, cache: ContentCache): NodeRow[] {
  return nodesOf(cache).map((node) => {
    const { up, checkedAt, lastError, heartbeatAt, stats, since } = probe.nodeHealth(node.key, node.host);
    const seen = checkedAt ?? heartbeatAt;
    const ratio = hitRatio(stats);
    return {
      id: node.id,
      host: node.host,
      status:
        seen === undefined
          ? { state: 'unknown' }
          : {
              state: up ? 'up' : 'down',
              checkedAt: seen,
              ...(lastError !== undefined && { lastError }),
              ...(since !== undefined && { since }),
            },
      ...(heartbeatAt !== undefined && { heartbeatAt }),
      ...(stats?.storeBytes !== undefined && { storeBytes: stats.storeBytes }),
      ...(stats?.maxBytes !== undefined && { maxBytes: stats.maxBytes }),
      ...(ratio !== undefined && { hitRatio: ratio }),
    };
  });
}

export function cacheStatus(probe: Pick<HealthProbe, 'health'>, name: string): CacheStatus {
  const health = probe.health(name);
  if (health.checkedAt === undefined) return { state: 'unknown' };
  return {
    state: health.up ? 'up' : 'down',
    checkedAt: health.checkedAt,
    ...(health.lastError !== undefined && { lastError: health.lastError }),
    ...(health.since !== undefined && { since: health.since }),
  };
}

/** `asia → eu → main`: the cache, the caches it pulls through (within `caches`, all of them), then main. */
export function chainLabel(caches: readonly ContentCache[], name: string): string {
  return [...chainIn(caches, name).map((c) => c.name), 'main'].join(' → ');
}

/** Redirects issued so far per cache, from `outpost_main_redirects_total{cache}`. */
export async function redirectCounts(counter: Counter<'cache'>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { labels, value } of (await counter.get()).values) {
    if (typeof labels.cache === 'string') counts.set(labels.cache, (counts.get(labels.cache) ?? 0) + value);
  }
  return counts;
}

export interface OrganizationDefault {
  organization: string;
  cache: string;
}

/**
 * The organization default that serves `user` when they pick no cache: as the redirect
 * decision does (caches-module.ts, select-cache.ts), the first of their organizations in name
 * order whose default names a registered cache.
 */
export function organizationDefault(
  preferences: CachePreferences,
  registered: ReadonlySet<string>,
): OrganizationDefault | undefined {
  for (const { name: organization, cache } of preferences.organizations) {
    if (cache && registered.has(cache)) return { organization, cache };
  }
  return undefined;
}

/** The refusal of a cache name that is not registered (a stale page, or a forged form). */
export function unknownCacheMessage(name: string): string {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return `There is no content cache named "${shown}" (it may have just been removed). Pick one from the list, or None.`;
}
