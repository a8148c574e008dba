/** The usage samples main keeps of each heartbeat (main/caches/cache-usage-samples.ts), on a real LMDB store. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUsageRecorder } from '../../../main/caches/cache-usage-samples.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import type { CacheStore } from '../../../main/metadata/caches.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const T0 = Date.UTC(2030, 0, 1);
let temp: TempDir;
let root: RootDatabase;
let store: CacheStore;
beforeEach(async () => {
  temp = await createTempDir('outpost-usage-samples-');
  root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  store = createLmdbCacheStore(root);
  await store.createCache('eu', { host: 'https://eu.example.com', networks: [], createdAt: T0 });
});
afterEach(async () => {
  await root.close();
  await temp.remove();
});

describe('the usage recorder', () => {
  it("keeps the heartbeat's counters, missing ones as 0, and nothing for a heartbeat without them", async () => {
    let now = T0;
    const record = createUsageRecorder({ store, now: () => now });
    await record('eu/a', { hits: 3, misses: 1, servedBytes: 100, maxBytes: 1000 });
    now += 60_000;
    await record('eu/a', undefined);
    expect(await store.listUsageSamples('eu', 0)).toEqual(
      new Map([
        [
          'eu/a',
          [
            {
              at: T0,
              hits: 3,
              misses: 1,
              servedBytes: 100,
              upstreamBytes: 0,
              evictions: 0,
              blobs: 0,
              storeBytes: 0,
              maxBytes: 1000,
            },
          ],
        ],
      ]),
    );
  });
});
