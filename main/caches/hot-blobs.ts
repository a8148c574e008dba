/**
 * @module Very hot blobs: a blob asked for more than `perSecond` times in one second may be
 * served by the first `spread` nodes of its ranking instead of its first node alone, so one
 * node's link does not cap a blob everyone pulls at once (each of those nodes then stores it).
 * Counted per digest in one-second windows, for the most recent 10,000 digests.
 */
import { LRUCache } from 'lru-cache';

export interface HotBlobs {
  /** Which of the blob's first nodes this request goes to: 0 (the first) unless the blob is hot. */
  slot(digest: string): number;
}

export function createHotBlobs(perSecond: number, spread: number, now: () => number): HotBlobs {
  if (perSecond <= 0 || spread <= 1) return { slot: () => 0 };
  const counts = new LRUCache<string, { second: number; count: number }>({ max: 10_000 });
  return {
    slot(digest) {
      const second = Math.floor(now() / 1000);
      let entry = counts.get(digest);
      if (!entry || entry.second !== second) counts.set(digest, (entry = { second, count: 0 }));
      entry.count++;
      return entry.count > perSecond ? entry.count % spread : 0;
    },
  };
}
