/**
 * The ThrottleStore contract on the embedded main's store, in memory (see
 * main/metadata/memory/throttle.ts for why not LMDB), plus its bound on memory.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryThrottleStore } from '../../../main/metadata/memory/throttle.js';
import { describeThrottleStore } from '../../contract/throttle.js';

describeThrottleStore('memory', async () => {
  const store = createMemoryThrottleStore();
  // One process, one memory: a second opening is the same store.
  return { store, openAgain: async () => store, cleanup: async () => {} };
});

describe('the memory ThrottleStore', () => {
  it('keeps at most maxKeys counters, forgetting the least recently used first', async () => {
    const store = createMemoryThrottleStore({ maxKeys: 3 });
    await store.increment(['a', 'b', 'c'], 0, 1000);
    await store.get(['a'], 0);
    await store.increment(['d'], 0, 1000);
    expect((await store.get(['a', 'b', 'c', 'd'], 0)).map((c) => c?.count)).toEqual([1, undefined, 1, 1]);
  });
});
