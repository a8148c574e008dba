/**
 * The usage samples of the `CacheStore` contract (main/metadata/caches.ts), run by every backend
 * next to describeCacheStore: `describeCacheUsageSamples('LMDB', factory)`. Only the interface is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  USAGE_SAMPLE_DELETE_BATCH,
  USAGE_SAMPLE_RETENTION_MS,
  type CacheStore,
  type CacheUsageSample,
} from '../../main/metadata/caches.js';
import type { CacheStoreFixture } from './caches.js';

const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const cache = (name: string) => ({ host: `https://${name}.example.com`, networks: [], createdAt: T0 });
const sample = (at: number, hits = 1): CacheUsageSample => ({
  at,
  hits,
  misses: 2,
  servedBytes: 2 ** 40 + 3,
  upstreamBytes: 4,
  evictions: 5,
  blobs: 6,
  storeBytes: 7,
  maxBytes: 2 ** 50,
  redirects: 8,
});
const times = (samples: CacheUsageSample[] | undefined) => samples?.map((s) => s.at);

export function describeCacheUsageSamples(name: string, factory: () => Promise<CacheStoreFixture>): void {
  describe(`${name} (CacheStore contract: usage samples)`, () => {
    let fixture: CacheStoreFixture;
    let store: CacheStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      for (const name of ['eu', 'eu-west', 'sg']) await store.createCache(name, cache(name));
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('keeps the last sample of each node and minute, oldest first, from `since`, for every store', async () => {
      await store.recordUsageSample('eu/a', sample(T0));
      await store.recordUsageSample('eu/a', sample(T0 + 30_000, 2));
      await store.recordUsageSample('eu/a', sample(T0 + MINUTE + 5_000, 3));
      await store.recordUsageSample('eu/b', sample(T0 + 2 * MINUTE));
      await store.recordUsageSample('eu-west/a', sample(T0));
      await store.recordUsageSample('nope/a', sample(T0));
      const other = await fixture.openAgain();
      expect(await other.listUsageSamples('eu', 0)).toEqual(
        new Map([
          ['eu/a', [sample(T0 + 30_000, 2), sample(T0 + MINUTE + 5_000, 3)]],
          ['eu/b', [sample(T0 + 2 * MINUTE)]],
        ]),
      );
      expect(times((await other.listUsageSamples('eu', T0 + MINUTE)).get('eu/a'))).toEqual([T0 + MINUTE + 5_000]);
      expect(await other.listUsageSamples('nope', 0)).toEqual(new Map());
    });

    it('deletes samples older than the retention as it writes, a bounded batch per write', async () => {
      const old = USAGE_SAMPLE_DELETE_BATCH + 20;
      for (let i = 0; i < old; i++) await store.recordUsageSample('eu/a', sample(T0 + i * MINUTE));
      await store.recordUsageSample('eu/b', sample(T0));
      const late = T0 + USAGE_SAMPLE_RETENTION_MS + old * MINUTE;
      await store.recordUsageSample('eu/a', sample(late));
      const left = (await store.listUsageSamples('eu', 0)).get('eu/a');
      expect(times(left)?.slice(0, 2)).toEqual([T0 + USAGE_SAMPLE_DELETE_BATCH * MINUTE, T0 + 101 * MINUTE]);
      expect(left).toHaveLength(old - USAGE_SAMPLE_DELETE_BATCH + 1);
      await store.recordUsageSample('eu/a', sample(late + MINUTE));
      const after = await store.listUsageSamples('eu', 0);
      expect(times(after.get('eu/a'))).toEqual([late, late + MINUTE]);
      // Another node's samples wait for that node's own writes.
      expect(times(after.get('eu/b'))).toEqual([T0]);
    });

    it('forgets the samples of a removed node, of a node replaced at its host, and of a removed cache', async () => {
      const node = (id: string, host = `https://${id}.eu.example.com`) => ({ id, host, joinedAt: T0 });
      for (const id of ['a', 'b']) await store.joinCacheNode('eu', node(id));
      for (const key of ['eu/a', 'eu/b', 'sg/default']) await store.recordUsageSample(key, sample(T0));
      await store.removeCacheNode('eu', 'a');
      expect([...(await store.listUsageSamples('eu', 0)).keys()]).toEqual(['eu/b']);
      await store.joinCacheNode('eu', node('c', 'https://b.eu.example.com'));
      expect(await store.listUsageSamples('eu', 0)).toEqual(new Map());
      await store.removeCache('sg');
      await store.createCache('sg', cache('sg'));
      expect(await store.listUsageSamples('sg', 0)).toEqual(new Map());
    });
  });
}
