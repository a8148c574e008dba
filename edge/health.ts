/**
 * @module The edge's health: the store is usable (LMDB answers, data directory writable),
 * plus upstream reachability, key freshness and disk usage as details. Only an unusable store
 * makes it 503: a dead upstream still leaves hits to serve.
 */
import { access, constants, statfs } from 'node:fs/promises';
import type { HealthCheck } from '../src/http/ops-routes.js';
import type { CacheIndex } from './cache/cache-index.js';
import type { KeySource } from './cache/jwks-cache.js';
import type { Upstream } from './cache/upstream.js';

// A probe per health request would let a busy prober load the upstream; remember it briefly.
const UPSTREAM_PROBE_TTL_MS = 5_000;

export function createEdgeHealth(deps: { index: CacheIndex; keys: KeySource; upstream: Upstream; dataDir: string; maxBytes: number; now?: () => number }): HealthCheck {
  const now = deps.now ?? Date.now;
  let probe: { at: number; ok: Promise<boolean> } | undefined;
  return async () => {
    let ok = true;
    const details: Record<string, unknown> = {};
    try {
      details.store = { bytes: deps.index.bytes, blobs: deps.index.count, maxBytes: deps.maxBytes };
      await access(deps.dataDir, constants.W_OK);
      const fs = await statfs(deps.dataDir);
      details.disk = { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch (err) {
      ok = false;
      details.store = `error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    if (!probe || now() - probe.at > UPSTREAM_PROBE_TTL_MS) probe = { at: now(), ok: deps.upstream.ping() };
    details.upstream = { url: deps.upstream.baseUrl, reachable: await probe.ok };
    const keys = deps.keys.freshness();
    details.keys = { ...keys, ...(keys.fetchedAt !== undefined && { ageSeconds: Math.round((now() - keys.fetchedAt) / 1000) }) };
    return { ok, details };
  };
}
