/**
 * @module Which cached blobs to remove: least recently used first, never pinned ones, never
 * ones being read; and those not read within the time-to-live. Pure functions, so the policy
 * is tested without a disk.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { CacheEntry } from './cache-index.js';

export interface IndexedBlob {
  digest: Digest;
  entry: CacheEntry;
}

/** Blobs to remove, oldest access first, until at least `bytesToFree` are freed (or none are left). */
export function selectLruVictims(
  blobs: Iterable<IndexedBlob>,
  bytesToFree: number,
  isBusy: (digest: Digest) => boolean,
): IndexedBlob[] {
  if (bytesToFree <= 0) return [];
  const candidates = [...blobs]
    .filter((b) => !b.entry.pinned && !isBusy(b.digest))
    .sort((a, b) => a.entry.lastAccess - b.entry.lastAccess);
  const victims: IndexedBlob[] = [];
  let freed = 0;
  for (const blob of candidates) {
    if (freed >= bytesToFree) break;
    victims.push(blob);
    freed += blob.entry.size;
  }
  return victims;
}

/** Blobs whose last access is older than `ttlMs` (none when the TTL is 0). */
export function selectExpired(
  blobs: Iterable<IndexedBlob>,
  now: number,
  ttlMs: number,
  isBusy: (digest: Digest) => boolean,
): IndexedBlob[] {
  if (ttlMs <= 0) return [];
  return [...blobs].filter((b) => !b.entry.pinned && !isBusy(b.digest) && now - b.entry.lastAccess > ttlMs);
}

export interface Budget {
  maxBytes: number;
  highWatermark: number;
  lowWatermark: number;
}

/**
 * Bytes to free so that `incoming` more bytes fit: nothing while usage stays under the high
 * watermark, otherwise enough to come down to the low watermark.
 */
export function bytesToFree(usedBytes: number, incoming: number, budget: Budget): number {
  const after = usedBytes + incoming;
  if (after <= budget.maxBytes * budget.highWatermark) return 0;
  return Math.ceil(after - budget.maxBytes * budget.lowWatermark);
}
