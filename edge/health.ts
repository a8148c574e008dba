/**
 * @module The edge's health: the store is usable (LMDB answers, data directory writable),
 * plus upstream reachability, key freshness and disk usage as details. Only an unusable store
 * makes it 503: a dead upstream still leaves hits to serve, as do signing keys that cannot be
 * refreshed while a copy is at hand. No keys at all (started with main down and nothing cached)
 * is 503 too: no token can be verified, so nothing can be served until they arrive. A store whose last write failed
 * (disk full, I/O error) is `degraded`: hits are served and misses stream through unkept.
 */
import { access, constants, statfs } from 'node:fs/promises';
import type { HealthCheck } from '../src/http/ops-routes.js';
import type { BlobCache } from './cache/blob-cache.js';
import type { CacheIndex } from './cache/cache-index.js';
import type { KeySource } from './cache/jwks-cache.js';
import type { Upstream } from './cache/upstream.js';
import type { EdgeCounters } from './metrics.js';

// A probe per health request would let a busy prober load the upstream; remember it briefly.
const UPSTREAM_PROBE_TTL_MS = 5_000;

export interface EdgeHealthDeps {
  index: CacheIndex;
  /** The store's write health (`storeHealth`). */
  cache: Pick<BlobCache, 'storeHealth'>;
  keys: KeySource;
  /** `fallingBack` when misses go to main while the upstream cache fails (fallback-upstream.ts). */
  upstream: Upstream & { fallingBack?(): boolean };
  dataDir: string;
  maxBytes: number;
  /** What the edge served so far (hits, misses, bytes, evictions): main's dashboard is drawn from them. */
  counters?: () => Promise<EdgeCounters>;
  now?: () => number;
}

export function createEdgeHealth(deps: EdgeHealthDeps): HealthCheck {
  const now = deps.now ?? Date.now;
  let probe: { at: number; ok: Promise<boolean> } | undefined;
  return async () => {
    let ok = true;
    const details: Record<string, unknown> = {};
    const { degraded } = deps.cache.storeHealth();
    try {
      const { bytes, count: blobs } = deps.index;
      details.store = { bytes, blobs, maxBytes: deps.maxBytes, ...(degraded && { degraded }) };
      await access(deps.dataDir, constants.W_OK);
      const fs = await statfs(deps.dataDir);
      details.disk = { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch (err) {
      ok = false;
      details.store = `error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    if (deps.counters) {
      const { hits, misses, ...traffic } = await deps.counters();
      details.requests = { hits, misses };
      details.traffic = traffic;
    }
    if (!probe || now() - probe.at > UPSTREAM_PROBE_TTL_MS) probe = { at: now(), ok: deps.upstream.ping() };
    details.upstream = {
      url: deps.upstream.baseUrl,
      reachable: await probe.ok,
      ...(deps.upstream.fallingBack?.() && { fallingBackToMain: true }),
    };
    const keys = deps.keys.freshness();
    if (!deps.keys.hasKeys()) ok = false;
    details.keys = {
      ...keys,
      ...(keys.fetchedAt !== undefined && { ageSeconds: Math.round((now() - keys.fetchedAt) / 1000) }),
    };
    const reason = degraded && `store writes fail (${degraded.code}): misses are streamed through without being kept`;
    return { ok, ...(reason && { degraded: reason }), details };
  };
}
