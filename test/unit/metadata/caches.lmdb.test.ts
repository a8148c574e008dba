/**
 * The CacheStore contract on LMDB, plus what only the LMDB store promises: the sub-databases
 * and encoding main always used, so that an existing data directory keeps its caches and tokens.
 */
import { describe, expect, it } from 'vitest';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { openLmdb } from '../../../src/store/lmdb.js';
import { describeCacheStore } from '../../contract/caches.js';
import { describeCacheUsageSamples } from '../../contract/cache-usage-samples.js';
import { createTempDir } from '../../helpers/temp-dir.js';

async function openFixture() {
  const temp = await createTempDir('outpost-cache-store-');
  const root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  return {
    root,
    store: createLmdbCacheStore(root),
    // One LMDB environment per data directory and process: a second store shares it.
    openAgain: async () => createLmdbCacheStore(root),
    async cleanup() {
      await root.close();
      await temp.remove();
    },
  };
}

describeCacheStore('LMDB', openFixture);
describeCacheUsageSamples('LMDB', openFixture);

describe('LMDB CacheStore on an existing data directory', () => {
  it('reads caches and join tokens written by earlier versions (caches, cacheJoinTokens; msgpack)', async () => {
    const fixture = await openFixture();
    try {
      const cache = { host: 'https://eu.example.com', networks: ['10.0.0.0/8'], createdAt: 1 };
      await fixture.root.openDB({ name: 'caches', encoding: 'msgpack' }).put('eu', cache);
      await fixture.root
        .openDB({ name: 'cacheJoinTokens', encoding: 'msgpack' })
        .put('h', { createdAt: 1, expiresAt: 2 });
      expect(await fixture.store.listCaches()).toEqual([{ name: 'eu', ...cache }]);
      expect(await fixture.store.getJoinToken('h')).toEqual({ createdAt: 1, expiresAt: 2 });
    } finally {
      await fixture.cleanup();
    }
  });
});
