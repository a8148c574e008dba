/**
 * The redirect decision for a cache group: the Location names the node rendezvous hashing picks
 * among the nodes that are up (the same node for a blob every time), the token's audience names
 * the groups, a very hot blob spreads over its first nodes, and a group with no node up sends
 * its users up the chain (here: to main).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { KeyRing } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { createContentCaches, type ContentCaches } from '../../../main/caches/content-caches.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import type { HealthProbe } from '../../../main/caches/health-probe.js';
import { createRedirects, type RedirectDecision } from '../../../main/caches/redirects.js';
import { pickNode, rendezvousNode } from '../../../main/caches/rendezvous.js';
import type { Principal } from '../../../main/accounts/permissions.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const ALICE: Principal = { kind: 'user', name: 'alice', isAdmin: false };
const T0 = Date.UTC(2030, 0, 1);
const digests = Array.from({ length: 60 }, (_, i) => `sha256:${createHash('sha256').update(`g${i}`).digest('hex')}`);

let temp: TempDir;
let root: RootDatabase;
let keys: KeyRing;
let caches: ContentCaches;
let clock: number;
let down: Set<string>;
let redirected: string[];

beforeAll(async () => {
  temp = await createTempDir('outpost-redirect-groups-');
  root = openLmdb({ path: join(temp.path, 'db'), mapSizeBytes: 2 ** 26 });
  keys = await KeyRing.open({ store: createFileKeyStore(join(temp.path, 'keys')), maxTokenLifetimeMs: 120_000 });
  caches = createContentCaches(createLmdbCacheStore(root));
  await caches.create({ name: 'eu', host: 'https://eu-a.example.com' });
  for (const id of ['a', 'b', 'c']) await caches.joinNode('eu', id, `https://eu-${id}.example.com`);
  await caches.create({ name: 'asia', host: 'https://asia-x.example.com', upstream: 'eu' });
  for (const id of ['x', 'y']) await caches.joinNode('asia', id, `https://asia-${id}.example.com`);
});
afterAll(async () => {
  await root.close();
  await temp.remove();
});
beforeEach(() => {
  clock = T0;
  down = new Set();
  redirected = [];
});

const probe = {
  isNodeUp: (key: string) => !down.has(key),
  noteRedirect: (node: { key: string }) => void redirected.push(node.key),
} as unknown as HealthProbe;

function redirectsFor(userCache: string, hot: { hotBlobRequestsPerSecond?: number; hotBlobSpread?: number } = {}) {
  return createRedirects({
    caches,
    probe,
    preferences: async () => ({ userCache, orgCaches: [] }),
    keys,
    issuer: 'http://main.test',
    lifetimeMs: 120_000,
    now: () => clock,
    ...hot,
  });
}

/** The node a decision sends the client to, by its host (`eu-a`...). */
const nodeOf = (decision: RedirectDecision): string => {
  if (decision.kind !== 'redirect') throw new Error(`expected a redirect, got ${JSON.stringify(decision)}`);
  return new URL(decision.location).hostname.split('.')[0]!;
};

describe('redirects to a cache group', () => {
  it("sends each blob to its rendezvous node of the user's group, and tells the probe", async () => {
    const redirects = redirectsFor('eu');
    const ranked = ['a', 'b', 'c'].map((id) => rendezvousNode({ id }));
    for (const digest of digests) {
      const decision = await redirects.decide(ALICE, 'team/app', digest, '192.0.2.1');
      expect(nodeOf(decision)).toBe(`eu-${pickNode(ranked, digest)!.id}`);
      expect(decision).toMatchObject({ cache: 'eu', node: pickNode(ranked, digest)!.id });
    }
    expect(new Set(redirected)).toEqual(new Set(['eu/a', 'eu/b', 'eu/c']));
  });

  it('skips a node that is down, moving only its blobs', async () => {
    const redirects = redirectsFor('eu');
    const before = await Promise.all(digests.map((d) => redirects.decide(ALICE, 'team/app', d, '192.0.2.1')));
    down.add('eu/b');
    for (const [i, digest] of digests.entries()) {
      const node = nodeOf(await redirects.decide(ALICE, 'team/app', digest, '192.0.2.1'));
      if (nodeOf(before[i]!) === 'eu-b') expect(node).not.toBe('eu-b');
      else expect(node).toBe(nodeOf(before[i]!));
    }
  });

  it('names both groups of a chain in the audience, and sends to main when no node above is up', async () => {
    const redirects = redirectsFor('asia');
    const decision = await redirects.decide(ALICE, 'team/app', digests[0]!, '192.0.2.1');
    expect(nodeOf(decision)).toMatch(/^asia-[xy]$/);
    expect(decodeJwt(new URL((decision as { location: string }).location).searchParams.get('token')!).aud).toEqual([
      'asia',
      'eu',
    ]);
    for (const key of ['eu/a', 'eu/b', 'eu/c']) down.add(key);
    expect(await redirects.decide(ALICE, 'team/app', digests[0]!, '192.0.2.1')).toEqual({
      kind: 'direct',
      reason: 'cache-down',
    });
  });

  it('spreads a blob asked for more often than the hot rate over its first nodes, within that second', async () => {
    const redirects = redirectsFor('eu', { hotBlobRequestsPerSecond: 5, hotBlobSpread: 2 });
    const nodes = new Set<string>();
    for (let i = 0; i < 5; i++) nodes.add(nodeOf(await redirects.decide(ALICE, 'team/app', digests[0]!, '192.0.2.1')));
    expect(nodes.size).toBe(1);
    for (let i = 0; i < 4; i++) nodes.add(nodeOf(await redirects.decide(ALICE, 'team/app', digests[0]!, '192.0.2.1')));
    expect(nodes.size).toBe(2);
    clock += 1_000;
    const first = nodeOf(await redirects.decide(ALICE, 'team/app', digests[1]!, '192.0.2.1'));
    expect(nodeOf(await redirects.decide(ALICE, 'team/app', digests[1]!, '192.0.2.1'))).toBe(first);
  });
});
