/**
 * An edge registering itself with a join token: the token is checked first, a new name adds a
 * cache, a known name moves it, and an upstream given as a URL is resolved to main or to the
 * cache at that host.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createContentCaches, type ContentCaches } from '../../../main/caches/content-caches.js';
import { createJoinTokens } from '../../../main/caches/join-tokens.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { createCacheJoin, type CacheJoin } from '../../../main/caches/join-cache.js';
import { createEdgeAuth } from '../../../main/caches/edge-auth.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const MAIN = 'https://registry.example.com';
let temp: TempDir;
let root: RootDatabase;
let caches: ContentCaches;
let join: CacheJoin;
let token: string;
let clock: number;

beforeEach(async () => {
  temp = await createTempDir('outpost-join-');
  root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  clock = 1_000;
  caches = createContentCaches(createLmdbCacheStore(root), () => clock);
  const tokens = createJoinTokens(createLmdbCacheStore(root), () => clock);
  token = (await tokens.create(60_000)).token;
  join = createCacheJoin({ caches, authenticate: createEdgeAuth(caches, tokens), mainUrl: MAIN, logger: silentLogger });
});
afterEach(async () => {
  await root.close();
  await temp.remove();
});

describe('createCacheJoin', () => {
  it('adds a cache under the name, host and region the edge gives', async () => {
    const result = await join({
      token,
      name: 'eu',
      host: 'https://eu.example.com/',
      region: 'eu-west-1',
      upstream: '',
    });
    expect(result).toEqual({
      created: true,
      cache: { name: 'eu', host: 'https://eu.example.com', region: 'eu-west-1', networks: [], createdAt: 1_000 },
    });
    expect(await caches.get('eu')).toEqual(result.cache);
  });

  it('moves a known cache to its new host and keeps what the edge does not send', async () => {
    await caches.create({ name: 'eu', host: 'https://old.example.com', region: 'eu-west-1', networks: ['10.0.0.0/8'] });
    const result = await join({ token, name: 'eu', host: 'https://new.example.com' });
    expect(result).toEqual({
      created: false,
      cache: {
        name: 'eu',
        host: 'https://new.example.com',
        region: 'eu-west-1',
        networks: ['10.0.0.0/8'],
        createdAt: 1_000,
      },
    });
  });

  it('accepts two edges joining under one new name at once: one adds the cache, the other moves it', async () => {
    const results = await Promise.all([
      join({ token, name: 'eu', host: 'https://eu-1.example.com' }),
      join({ token, name: 'eu', host: 'https://eu-2.example.com' }),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    const last = results.find((r) => !r.created)!.cache.host;
    expect(await caches.list()).toEqual([expect.objectContaining({ name: 'eu', host: last })]);
  });

  it('reads an upstream URL as the cache registered at that host', async () => {
    await join({ token, name: 'eu', host: 'https://eu.example.com' });
    const { cache } = await join({
      token,
      name: 'asia',
      host: 'https://asia.example.com',
      upstream: 'https://eu.example.com/',
    });
    expect(cache.upstream).toBe('eu');
  });

  it("reads main's own URL, and an empty upstream, as main", async () => {
    await caches.create({ name: 'eu', host: 'https://eu.example.com' });
    await caches.create({ name: 'asia', host: 'https://asia.example.com', upstream: 'eu' });
    expect(
      (await join({ token, name: 'asia', host: 'https://asia.example.com', upstream: `${MAIN}/` })).cache.upstream,
    ).toBeUndefined();
    await caches.update('asia', { upstream: 'eu' });
    expect(
      (await join({ token, name: 'asia', host: 'https://asia.example.com', upstream: '' })).cache.upstream,
    ).toBeUndefined();
  });

  it('refuses an upstream URL that is neither main nor a registered cache', async () => {
    await expect(
      join({ token, name: 'asia', host: 'https://asia.example.com', upstream: 'https://nowhere.example.com' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/neither main nor the host of a registered content cache/),
    });
    expect(await caches.get('asia')).toBeUndefined();
  });

  it('validates like an admin registration: a bad name or host is INVALID_INPUT', async () => {
    await expect(join({ token, name: 'EU', host: 'https://eu.example.com' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(join({ token, name: 'eu', host: 'not a url' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses a wrong, missing or expired token with UNAUTHORIZED before looking at anything else', async () => {
    for (const bad of [`${token}x`, undefined, 42]) {
      await expect(join({ token: bad, name: 'EU', host: 'nonsense' })).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        message: expect.stringMatching(/join token refused/),
      });
    }
    clock += 60_000;
    await expect(join({ token, name: 'eu', host: 'https://eu.example.com' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await caches.list()).toEqual([]);
  });
});

describe('node credentials', () => {
  const asNode = (id: string, host = `https://${id}.eu.example.com`) => ({ name: 'eu', nodeId: id, host });

  it('issues a credential to a node joining with a join token, and keeps only its hash', async () => {
    const { nodeCredential } = await join({ token, ...asNode('a') });
    expect(nodeCredential).toMatch(/^outpost-node-[A-Za-z0-9_-]{43}$/);
    const [node] = (await caches.get('eu'))?.nodes ?? [];
    expect(node?.credentialHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await caches.list())).not.toContain(nodeCredential);
  });

  it('lets the node join again with its credential long after the join token expired, without a new one', async () => {
    const { nodeCredential } = await join({ token, ...asNode('a') });
    clock += 30 * 24 * 3600_000;
    const again = await join({ token: nodeCredential, ...asNode('a', 'https://moved.eu.example.com') });
    expect(again.nodeCredential).toBeUndefined();
    expect(again.cache.nodes?.map((n) => n.host)).toEqual(['https://moved.eu.example.com']);
    // Still the same credential: the edge's copy stays good.
    await expect(join({ token: nodeCredential, ...asNode('a') })).resolves.toMatchObject({ created: false });
  });

  it('refuses a credential for another node, another cache, or once a join token replaced it', async () => {
    const a = (await join({ token, ...asNode('a') })).nodeCredential;
    await join({ token, ...asNode('b') });
    await caches.create({ name: 'sg', host: 'https://sg.example.com' });
    for (const claim of [asNode('b'), { ...asNode('a'), name: 'sg' }, { ...asNode('a'), nodeId: undefined }]) {
      await expect(join({ token: a, ...claim })).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        message: expect.stringMatching(/node credential refused/),
      });
    }
    const replaced = (await join({ token, ...asNode('a') })).nodeCredential;
    expect(replaced).not.toEqual(a);
    await expect(join({ token: a, ...asNode('a') })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(join({ token: replaced, ...asNode('a') })).resolves.toMatchObject({ created: false });
  });
});
