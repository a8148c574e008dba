/**
 * The usage and redirect samples of the `CacheStore` contract (main/metadata/caches.ts), run by every backend
 * next to describeCacheStore: `describeCacheUsageSamples('LMDB', factory)`. Only the interface is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  USAGE_SAMPLE_DELETE_BATCH,
  USAGE_SAMPLE_RETENTION_MS,
  type CacheRedirectSample,
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
});
const times = (samples: { at: number }[] | undefined) => samples?.map((s) => s.at);
const redirects = (at: number, replica: string, count = 2 ** 40 + 1): CacheRedirectSample => ({
  at,
  replica,
  redirects: count,
});

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

    it("keeps each replica's last redirect sample of a node and minute, by minute then replica", async () => {
      const [r1, r2] = ['3f2a0c1e-replica-one', '9b7d5e4f-replica-two'];
      await store.recordRedirectSample('eu/a', redirects(T0 + 10_000, r2, 1));
      await store.recordRedirectSample('eu/a', redirects(T0, r1, 5));
      await store.recordRedirectSample('eu/a', redirects(T0 + 50_000, r1, 6));
      await store.recordRedirectSample('eu/a', redirects(T0 + MINUTE, r2));
      await store.recordRedirectSample('eu/b', redirects(T0, r2, 0));
      await store.recordRedirectSample('eu-west/a', redirects(T0, r1));
      await store.recordRedirectSample('nope/a', redirects(T0, r1));
      const other = await fixture.openAgain();
      expect(await other.listRedirectSamples('eu', 0)).toEqual(
        new Map([
          ['eu/a', [redirects(T0 + 50_000, r1, 6), redirects(T0 + 10_000, r2, 1), redirects(T0 + MINUTE, r2)]],
          ['eu/b', [redirects(T0, r2, 0)]],
        ]),
      );
      expect(await other.listRedirectSamples('eu', T0 + 20_000)).toEqual(
        new Map([['eu/a', [redirects(T0 + 50_000, r1, 6), redirects(T0 + MINUTE, r2)]]]),
      );
      expect(await other.listRedirectSamples('nope', 0)).toEqual(new Map());
      // The usage samples are another series.
      expect(await other.listUsageSamples('eu', 0)).toEqual(new Map());
    });

    it("deletes any replica's redirect samples past the retention as it writes, a bounded batch", async () => {
      const old = USAGE_SAMPLE_DELETE_BATCH / 2 + 10;
      for (let i = 0; i < old; i++)
        for (const replica of ['r1', 'r2'])
          await store.recordRedirectSample('eu/a', redirects(T0 + i * MINUTE, replica));
      await store.recordRedirectSample('eu/b', redirects(T0, 'r1'));
      const late = T0 + USAGE_SAMPLE_RETENTION_MS + old * MINUTE;
      await store.recordRedirectSample('eu/a', redirects(late, 'r3'));
      const left = (await store.listRedirectSamples('eu', 0)).get('eu/a');
      expect(left).toHaveLength(2 * old - USAGE_SAMPLE_DELETE_BATCH + 1);
      expect(left?.[0]).toEqual(redirects(T0 + (USAGE_SAMPLE_DELETE_BATCH / 2) * MINUTE, 'r1'));
      await store.recordRedirectSample('eu/a', redirects(late + MINUTE, 'r3'));
      const after = await store.listRedirectSamples('eu', 0);
      expect(times(after.get('eu/a'))).toEqual([late, late + MINUTE]);
      expect(times(after.get('eu/b'))).toEqual([T0]);
    });

    it('forgets the redirect samples of a removed node, a node replaced at its host, a removed cache', async () => {
      const node = (id: string, host = `https://${id}.eu.example.com`) => ({ id, host, joinedAt: T0 });
      for (const id of ['a', 'b']) await store.joinCacheNode('eu', node(id));
      for (const key of ['eu/a', 'eu/b', 'sg/default'])
        for (const replica of ['r1', 'r2']) await store.recordRedirectSample(key, redirects(T0, replica));
      await store.removeCacheNode('eu', 'a');
      expect([...(await store.listRedirectSamples('eu', 0)).keys()]).toEqual(['eu/b']);
      await store.joinCacheNode('eu', node('c', 'https://b.eu.example.com'));
      expect(await store.listRedirectSamples('eu', 0)).toEqual(new Map());
      await store.removeCache('sg');
      await store.createCache('sg', cache('sg'));
      expect(await store.listRedirectSamples('sg', 0)).toEqual(new Map());
    });
  });
}
