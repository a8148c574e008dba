/**
 * @module `ThrottleStore` in memory, for the embedded main: one process owns the data
 * directory, so its memory is the whole truth, as the throttle has always kept it. Not in
 * LMDB on purpose: every failed sign-in would then be a disk commit (an fsync), and a flood of
 * made-up names would grow the database file; a restart forgiving the counts is acceptable for
 * a guard against online guessing. Bounded (least recently used first out), so that made-up
 * names cannot fill the memory either. Replicas share the PostgreSQL store instead.
 */
import { LRUCache } from 'lru-cache';
import type { ThrottleCount, ThrottleStore } from '../throttle.js';

export function createMemoryThrottleStore({ maxKeys = 100_000 }: { maxKeys?: number } = {}): ThrottleStore {
  const counters = new LRUCache<string, ThrottleCount>({ max: maxKeys });
  const live = (key: string, now: number): ThrottleCount | undefined => {
    const counter = counters.get(key);
    if (counter && counter.expiresAt <= now) {
      counters.delete(key);
      return undefined;
    }
    return counter;
  };
  return {
    async increment(keys, now, windowMs) {
      for (const key of keys) {
        const counter = live(key, now);
        counters.set(key, { count: (counter?.count ?? 0) + 1, expiresAt: counter?.expiresAt ?? now + windowMs });
      }
    },
    async get(keys, now) {
      return keys.map((key) => {
        const counter = live(key, now);
        return counter && { ...counter };
      });
    },
    async reset(keys) {
      for (const key of keys) counters.delete(key);
    },
  };
}
