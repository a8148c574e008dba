/**
 * The `CacheStore` contract (main/metadata/caches.ts) as one suite every backend runs:
 * `describeCacheStore('LMDB', factory)`. Only the interface is used. Writes that race (two
 * creates of one name, two updates that would close a cycle together) are sent at once: each
 * backend must keep the relation whatever their order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CacheHealthRecord,
  CacheHeartbeatRecord,
  CacheStore,
  ContentCacheRecord,
} from '../../main/metadata/caches.js';

export interface CacheStoreFixture {
  store: CacheStore;
  /** A second store on the same data (another connection, another replica). */
  openAgain(): Promise<CacheStore>;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);
const record = (name: string, upstream?: string, extra: Partial<ContentCacheRecord> = {}): ContentCacheRecord => ({
  host: `https://${name}.example.com`,
  ...(upstream !== undefined && { upstream }),
  networks: [],
  createdAt: T0,
  ...extra,
});

export function describeCacheStore(name: string, factory: () => Promise<CacheStoreFixture>): void {
  describe(`${name} (CacheStore contract)`, () => {
    let fixture: CacheStoreFixture;
    let store: CacheStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('caches', () => {
      it('gives back what was created, every field, and lists caches in name order', async () => {
        const full = record('sg', 'eu', { region: 'ap-southeast-1', networks: ['10.0.0.0/8', '2001:db8::/32'] });
        expect(await store.createCache('eu', record('eu'))).toBe('done');
        expect(await store.createCache('sg', full)).toBe('done');
        expect(await store.createCache('asia', record('asia'))).toBe('done');
        expect(await store.getCache('sg')).toEqual(full);
        expect(await store.getCache('eu')).toEqual(record('eu'));
        expect(await store.getCache('nope')).toBeUndefined();
        expect((await store.listCaches()).map((c) => c.name)).toEqual(['asia', 'eu', 'sg']);
        expect((await store.listCaches())[2]).toEqual({ name: 'sg', ...full });
      });

      it('refuses a second cache of a name, keeping the first', async () => {
        await store.createCache('eu', record('eu'));
        expect(await store.createCache('eu', record('eu', undefined, { host: 'https://other.example.com' }))).toBe(
          'exists',
        );
        expect(await store.getCache('eu')).toEqual(record('eu'));
      });

      it('refuses an upstream that names no cache, or the cache itself, writing nothing', async () => {
        expect(await store.createCache('sg', record('sg', 'eu'))).toBe('upstream-unknown');
        expect(await store.createCache('sg', record('sg', 'sg'))).toBe('cycle');
        expect(await store.listCaches()).toEqual([]);
      });

      it('replaces a cache on update, and refuses an unknown cache or upstream', async () => {
        await store.createCache('eu', record('eu'));
        await store.createCache('sg', record('sg'));
        const moved = record('sg', 'eu', { host: 'https://moved.example.com', region: 'r' });
        expect(await store.updateCache('sg', moved)).toBe('done');
        expect(await store.getCache('sg')).toEqual(moved);
        expect(await store.updateCache('nope', record('nope'))).toBe('missing');
        expect(await store.updateCache('sg', record('sg', 'gone'))).toBe('upstream-unknown');
        expect(await store.getCache('sg')).toEqual(moved);
        expect(await store.getCache('nope')).toBeUndefined();
      });

      it('refuses an update whose upstream leads back to the cache, however long the way', async () => {
        await store.createCache('a', record('a'));
        await store.createCache('b', record('b', 'a'));
        await store.createCache('c', record('c', 'b'));
        expect(await store.updateCache('a', record('a', 'c'))).toBe('cycle');
        expect(await store.updateCache('a', record('a', 'a'))).toBe('cycle');
        expect(await store.getCache('a')).toEqual(record('a'));
        expect(await store.updateCache('c', record('c', 'a'))).toBe('done');
      });

      it('removes a cache, and refuses one that is unknown or that others pull through', async () => {
        await store.createCache('eu', record('eu'));
        await store.createCache('sg', record('sg', 'eu'));
        await store.createCache('in', record('in', 'eu'));
        expect(await store.removeCache('eu')).toEqual({ removed: false, reason: 'upstream', dependants: ['in', 'sg'] });
        expect(await store.removeCache('nope')).toEqual({ removed: false, reason: 'missing' });
        expect(await store.removeCache('sg')).toEqual({ removed: true });
        expect(await store.removeCache('in')).toEqual({ removed: true });
        expect(await store.removeCache('eu')).toEqual({ removed: true });
        expect(await store.listCaches()).toEqual([]);
      });

      it('creates one cache when two writers create the same name at once', async () => {
        const other = await fixture.openAgain();
        const results = await Promise.all([
          store.createCache('eu', record('eu', undefined, { region: 'first' })),
          other.createCache('eu', record('eu', undefined, { region: 'second' })),
        ]);
        expect([...results].sort()).toEqual(['done', 'exists']);
        const kept = results[0] === 'done' ? 'first' : 'second';
        expect((await other.getCache('eu'))?.region).toBe(kept);
      });

      it('never closes a cycle when two writers each point a cache at the other at once', async () => {
        await store.createCache('a', record('a'));
        await store.createCache('b', record('b'));
        const other = await fixture.openAgain();
        const results = await Promise.all([
          store.updateCache('a', record('a', 'b')),
          other.updateCache('b', record('b', 'a')),
        ]);
        expect(results.filter((r) => r === 'done')).toHaveLength(1);
        const [a, b] = [await store.getCache('a'), await store.getCache('b')];
        expect(a?.upstream === 'b' && b?.upstream === 'a').toBe(false);
      });

      it('never leaves a cache pointing at one removed at the same moment', async () => {
        await store.createCache('eu', record('eu'));
        const other = await fixture.openAgain();
        await Promise.all([store.removeCache('eu'), other.createCache('sg', record('sg', 'eu'))]);
        const sg = await store.getCache('sg');
        if (sg) expect(await store.getCache('eu')).toBeDefined();
      });
    });

    describe('join tokens', () => {
      it('gives back a stored token, and undefined for a hash never stored', async () => {
        await store.createJoinToken('h1', { createdAt: T0, expiresAt: T0 + 10 });
        expect(await store.getJoinToken('h1')).toEqual({ createdAt: T0, expiresAt: T0 + 10 });
        expect(await store.getJoinToken('h2')).toBeUndefined();
      });

      it('purges tokens expired at or before the time given, and keeps live ones', async () => {
        await store.createJoinToken('old', { createdAt: T0, expiresAt: T0 - 1 });
        await store.createJoinToken('edge', { createdAt: T0, expiresAt: T0 });
        await store.createJoinToken('live', { createdAt: T0, expiresAt: T0 + 1 });
        expect(await store.purgeExpiredJoinTokens(T0)).toBe(2);
        expect(await store.getJoinToken('old')).toBeUndefined();
        expect(await store.getJoinToken('edge')).toBeUndefined();
        expect(await store.getJoinToken('live')).toEqual({ createdAt: T0, expiresAt: T0 + 1 });
      });
    });

    describe("the probe's shared record of health", () => {
      const down = { up: false, checkedAt: T0, lastError: 'health answered 503', failures: 3, successes: 0 };
      const up = { up: true, checkedAt: T0 + 1, failures: 0, successes: 5, reached: true as const };

      it('gives back what was recorded per node, replaced by the next round, nothing for unknown caches', async () => {
        await store.createCache('eu', record('eu'));
        await store.createCache('sg', record('sg'));
        expect(await store.listHealth()).toEqual(new Map());
        await store.recordHealth(
          new Map<string, CacheHealthRecord>([
            ['eu/a', down],
            ['nope/a', up],
          ]),
        );
        expect(await store.listHealth()).toEqual(new Map([['eu/a', down]]));
        await store.recordHealth(
          new Map<string, CacheHealthRecord>([
            ['eu/a', up],
            ['sg/default', down],
          ]),
        );
        expect(await store.listHealth()).toEqual(
          new Map<string, CacheHealthRecord>([
            ['eu/a', up],
            ['sg/default', down],
          ]),
        );
      });

      it("forgets a removed cache's health, so a cache created again under its name starts unprobed", async () => {
        await store.createCache('eu', record('eu'));
        await store.recordHealth(new Map([['eu/a', down]]));
        await store.removeCache('eu');
        await store.createCache('eu', record('eu'));
        expect(await store.listHealth()).toEqual(new Map());
      });
    });

    describe("edges' heartbeats, shared by replicas", () => {
      const beat = (at: number, ok = true) => ({
        at,
        ok,
        stats: { storeBytes: 10, maxBytes: 100, hits: 3, misses: 1 },
      });

      it('gives every store on the data the last heartbeat of each node, nothing for unknown caches', async () => {
        await store.createCache('eu', record('eu'));
        const other = await fixture.openAgain();
        expect(await other.listHeartbeats()).toEqual(new Map());
        await store.recordHeartbeat('eu/a', beat(T0));
        await store.recordHeartbeat('eu/b', { at: T0, ok: false });
        await store.recordHeartbeat('nope/a', beat(T0));
        await store.recordHeartbeat('eu/a', beat(T0 + 5_000));
        expect(await other.listHeartbeats()).toEqual(
          new Map<string, CacheHeartbeatRecord>([
            ['eu/a', beat(T0 + 5_000)],
            ['eu/b', { at: T0, ok: false }],
          ]),
        );
      });

      it('keeps the newer heartbeat when an older one is written after it (received by another replica)', async () => {
        await store.createCache('eu', record('eu'));
        const other = await fixture.openAgain();
        await store.recordHeartbeat('eu/a', beat(T0 + 5_000));
        await other.recordHeartbeat('eu/a', beat(T0, false));
        expect(await store.listHeartbeats()).toEqual(new Map([['eu/a', beat(T0 + 5_000)]]));
      });

      it('forgets the heartbeats of a removed node, of a node replaced at its host, and of a removed cache', async () => {
        const node = (id: string, host = `https://${id}.eu.example.com`) => ({ id, host, joinedAt: T0 });
        await store.createCache('eu', record('eu'));
        await store.createCache('sg', record('sg'));
        for (const id of ['a', 'b']) await store.joinCacheNode('eu', node(id));
        for (const key of ['eu/a', 'eu/b', 'sg/default']) await store.recordHeartbeat(key, beat(T0));
        await store.removeCacheNode('eu', 'a');
        expect([...(await store.listHeartbeats()).keys()].sort()).toEqual(['eu/b', 'sg/default']);
        await store.joinCacheNode('eu', node('c', 'https://b.eu.example.com'));
        expect([...(await store.listHeartbeats()).keys()]).toEqual(['sg/default']);
        await store.removeCache('sg');
        await store.createCache('sg', record('sg'));
        expect(await store.listHeartbeats()).toEqual(new Map());
      });
    });

    describe('the nodes of a cache group', () => {
      const node = (id: string, host = `https://${id}.eu.example.com`, joinedAt = T0) => ({ id, host, joinedAt });

      it('adds nodes in join order; the first one gives a cache without nodes its host', async () => {
        await store.createCache('eu', record('eu'));
        expect(await store.joinCacheNode('eu', node('b'))).toBe('done');
        expect(await store.joinCacheNode('eu', node('a', undefined, T0 + 1))).toBe('done');
        expect(await store.getCache('eu')).toEqual({
          ...record('eu'),
          host: 'https://b.eu.example.com',
          nodes: [node('b'), node('a', undefined, T0 + 1)],
        });
        expect((await store.listCaches())[0]?.nodes?.map((n) => n.id)).toEqual(['b', 'a']);
      });

      it('moves a node that joins again (keeping when it first joined), and refuses an unknown cache', async () => {
        await store.createCache('eu', record('eu'));
        await store.joinCacheNode('eu', node('a'));
        await store.joinCacheNode('eu', node('b'));
        await store.joinCacheNode('eu', node('a', 'https://moved.example.com', T0 + 5));
        expect((await store.getCache('eu'))?.nodes).toEqual([node('a', 'https://moved.example.com'), node('b')]);
        expect(await store.joinCacheNode('nope', node('a'))).toBe('missing');
        expect(await store.getCache('nope')).toBeUndefined();
      });

      it("keeps a node's credential hash when it joins again without one, and replaces it when given", async () => {
        await store.createCache('eu', record('eu'));
        await store.joinCacheNode('eu', { ...node('a'), credentialHash: 'first' });
        await store.joinCacheNode('eu', node('a', 'https://moved.example.com'));
        expect((await store.getCache('eu'))?.nodes).toEqual([
          { ...node('a', 'https://moved.example.com'), credentialHash: 'first' },
        ]);
        await store.joinCacheNode('eu', { ...node('a'), credentialHash: 'second' });
        expect((await fixture.openAgain().then((other) => other.getCache('eu')))?.nodes).toEqual([
          { ...node('a'), credentialHash: 'second' },
        ]);
      });

      it('replaces a node of another id at the same host (an edge that lost its data directory)', async () => {
        await store.createCache('eu', record('eu'));
        await store.joinCacheNode('eu', node('a'));
        await store.recordHealth(new Map([['eu/a', { up: true, checkedAt: T0, failures: 0, successes: 2 }]]));
        await store.joinCacheNode('eu', node('c', 'https://a.eu.example.com'));
        expect((await store.getCache('eu'))?.nodes).toEqual([node('c', 'https://a.eu.example.com')]);
        expect(await store.listHealth()).toEqual(new Map());
      });

      it('keeps the nodes through an update of the cache, and removes one node with its health', async () => {
        await store.createCache('eu', record('eu'));
        await store.joinCacheNode('eu', node('a'));
        await store.joinCacheNode('eu', node('b'));
        await store.recordHealth(new Map([['eu/b', { up: false, checkedAt: T0, failures: 1, successes: 0 }]]));
        expect(await store.updateCache('eu', record('eu', undefined, { region: 'r' }))).toBe('done');
        expect((await store.getCache('eu'))?.nodes?.map((n) => n.id)).toEqual(['a', 'b']);
        expect(await store.removeCacheNode('eu', 'b')).toBe('done');
        expect(await store.removeCacheNode('eu', 'b')).toBe('missing');
        expect(await store.removeCacheNode('nope', 'a')).toBe('missing');
        expect((await store.getCache('eu'))?.nodes).toEqual([node('a')]);
        expect(await store.listHealth()).toEqual(new Map());
      });

      it('lets nodes join one cache at once without losing any', async () => {
        await store.createCache('eu', record('eu'));
        const other = await fixture.openAgain();
        const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
        await Promise.all(ids.map((id, i) => (i % 2 ? other : store).joinCacheNode('eu', node(id))));
        expect((await store.getCache('eu'))?.nodes?.map((n) => n.id).sort()).toEqual(ids);
      });
    });
  });
}
