/**
 * The cache list from memory (main/metadata/cached-caches.ts) over a real LMDB store: still a
 * CacheStore (the contract suite), reads served from a snapshot, dropped by its own writes, by
 * other replicas' announcements, by a gap, and by age.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContentCaches } from '../../../main/caches/content-caches.js';
import { createCacheJoin } from '../../../main/caches/join-cache.js';
import { createJoinTokens } from '../../../main/caches/join-tokens.js';
import { CACHES_TOPIC, createCachedCacheStore } from '../../../main/metadata/cached-caches.js';
import type { CacheStore, ContentCacheRecord } from '../../../main/metadata/caches.js';
import { ALL_TOPICS, type ClusterCoordinator } from '../../../main/metadata/cluster.js';
import { createSingleProcessCoordinator } from '../../../main/metadata/lmdb/cluster.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { describeCacheStore } from '../../contract/caches.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

describeCacheStore('cached over LMDB', async () => {
  const temp = await createTempDir('outpost-cached-caches-');
  const root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  const coordinator = createSingleProcessCoordinator();
  const open = () => createCachedCacheStore(createLmdbCacheStore(root), { coordinator });
  return {
    store: open(),
    openAgain: async () => open(),
    async cleanup() {
      await root.close();
      await temp.remove();
    },
  };
});

const record = (name: string, extra: Partial<ContentCacheRecord> = {}): ContentCacheRecord => ({
  host: `https://${name}.example.com`,
  networks: [],
  createdAt: 1,
  ...extra,
});

describe('createCachedCacheStore', () => {
  let temp: TempDir;
  let root: RootDatabase;
  let backing: CacheStore;
  let reads: number;
  let clock: number;
  let coordinator: ClusterCoordinator;

  beforeEach(async () => {
    temp = await createTempDir('outpost-cached-caches-');
    root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
    const lmdb = createLmdbCacheStore(root);
    reads = 0;
    clock = 1_000;
    backing = {
      ...lmdb,
      listCaches: () => {
        reads++;
        return lmdb.listCaches();
      },
    };
    coordinator = createSingleProcessCoordinator();
  });
  afterEach(async () => {
    await root.close();
    await temp.remove();
  });

  const replica = (options: { coordinator?: Pick<ClusterCoordinator, 'publish' | 'subscribe'> } = {}) =>
    createCachedCacheStore(backing, { coordinator, maxAgeMs: 5_000, now: () => clock, ...options });

  it('answers lists and lookups from one read until the snapshot is 5 s old', async () => {
    const cached = replica();
    await backing.createCache('eu', record('eu'));
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu']);
    expect(await cached.getCache('eu')).toEqual(record('eu'));
    expect(await cached.getCache('sg')).toBeUndefined();
    await backing.createCache('sg', record('sg'));
    clock += 4_999;
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu']);
    expect(reads).toBe(1);
    clock += 1;
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu', 'sg']);
    expect(reads).toBe(2);
  });

  it("shows a write on one replica on the other at once, through the coordinator's topic", async () => {
    const [one, two] = [replica(), replica()];
    expect(await two.listCaches()).toEqual([]);
    await one.createCache('eu', record('eu'));
    expect((await two.listCaches()).map((c) => c.name)).toEqual(['eu']);
    await one.updateCache('eu', record('eu', { region: 'moved' }));
    expect((await two.getCache('eu'))?.region).toBe('moved');
    await one.removeCache('eu');
    expect(await two.listCaches()).toEqual([]);
  });

  it('drops its snapshot on a gap in the notifications', async () => {
    const cached = replica();
    await cached.listCaches();
    await backing.createCache('eu', record('eu'));
    await coordinator.publish(ALL_TOPICS);
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu']);
  });

  it('keeps its snapshot for topics of others', async () => {
    const cached = replica();
    await cached.listCaches();
    await coordinator.publish('settings');
    await cached.listCaches();
    expect(reads).toBe(1);
  });

  it('does not keep a list read before a change was announced', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first read is held until after the announcement; later reads go straight through.
    let held = true;
    const slow: CacheStore = {
      ...backing,
      listCaches: () => (held ? gate.then(() => []) : backing.listCaches()),
    };
    const cached = createCachedCacheStore(slow, { coordinator, now: () => clock });
    const stale = cached.listCaches();
    await backing.createCache('eu', record('eu'));
    await coordinator.publish(CACHES_TOPIC);
    release();
    expect(await stale).toEqual([]);
    held = false;
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu']);
  });

  it('makes the write and reports a failed announcement, which others then see by age', async () => {
    const errors: unknown[] = [];
    const failing = { ...coordinator, publish: async () => Promise.reject(new Error('bus down')) };
    const cached = replica({ coordinator: failing });
    await cached.listCaches();
    const withReport = createCachedCacheStore(backing, {
      coordinator: failing,
      now: () => clock,
      onPublishError: (e) => errors.push(e),
    });
    expect(await withReport.createCache('eu', record('eu'))).toBe('done');
    expect(errors).toEqual([expect.objectContaining({ message: 'bus down' })]);
    expect(await cached.listCaches()).toEqual([]);
    clock += 5_000;
    expect((await cached.listCaches()).map((c) => c.name)).toEqual(['eu']);
  });

  it('lets an edge join under a name another replica just took, before the announcement arrives', async () => {
    const silent = { publish: async () => {}, subscribe: () => () => {} };
    const [one, two] = [replica({ coordinator: silent }), replica({ coordinator: silent })];
    expect(await two.listCaches()).toEqual([]);
    const { token } = await createJoinTokens(one).create(60_000);
    await one.createCache('eu', record('eu'));
    const join = createCacheJoin({
      caches: createContentCaches(two),
      tokens: createJoinTokens(two),
      mainUrl: 'https://registry.example.com',
      logger: silentLogger,
    });
    const result = await join({ token, name: 'eu', host: 'https://moved.example.com' });
    expect(result).toMatchObject({ created: false, cache: { host: 'https://moved.example.com' } });
  });
});
