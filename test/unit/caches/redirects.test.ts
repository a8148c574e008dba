/**
 * The redirect decision: which cache, the Location main answers with, and the redirect token in
 * it (DESIGN 3.3): subject, audience chain, repository and digest, lifetime; a token reused for
 * the same user, cache, repository and blob while more than half of its life is left.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { KeyRing } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { createContentCaches, type ContentCaches } from '../../../main/caches/content-caches.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import type { HealthProbe } from '../../../main/caches/health-probe.js';
import { createRedirects, type RedirectDecision, type Redirects } from '../../../main/caches/redirects.js';
import type { Principal } from '../../../main/accounts/permissions.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const ISSUER = 'http://main.test';
const LIFETIME_MS = 120_000;
const T0 = Date.UTC(2030, 0, 1);
const REPO = 'team/app';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const ALICE: Principal = { kind: 'user', name: 'alice', isAdmin: false };
const BOB: Principal = { kind: 'user', name: 'bob', isAdmin: false };

let temp: TempDir;
let root: RootDatabase;
let keys: KeyRing;
let caches: ContentCaches;
let clock: number;
let down: Set<string>;
let settings: Record<string, { userCache?: string; orgCaches: string[] }>;
let redirects: Redirects;

beforeAll(async () => {
  temp = await createTempDir('outpost-redirects-');
  root = openLmdb({ path: join(temp.path, 'db'), mapSizeBytes: 2 ** 26 });
  keys = await KeyRing.open({ store: createFileKeyStore(join(temp.path, 'keys')), maxTokenLifetimeMs: LIFETIME_MS });
  caches = createContentCaches(createLmdbCacheStore(root));
  await caches.create({ name: 'eu', host: 'https://eu.example.com' });
  await caches.create({ name: 'asia', host: 'https://asia.example.com', upstream: 'eu' });
  await caches.create({ name: 'lan', host: 'https://lan.example.com', networks: ['127.0.0.0/8'] });
});
afterAll(async () => {
  await root.close();
  await temp.remove();
});
beforeEach(() => {
  clock = T0;
  down = new Set();
  settings = { alice: { userCache: 'asia', orgCaches: [] }, bob: { orgCaches: [] } };
  redirects = createRedirects({
    caches,
    // Node keys are `<cache>/<node>`: a cache without nodes is its one node, `default`.
    probe: {
      isNodeUp: (key: string) => !down.has(key.slice(0, key.indexOf('/'))),
      noteRedirect: () => {},
    } as unknown as HealthProbe,
    preferences: async (user) => settings[user] ?? { orgCaches: [] },
    keys,
    issuer: ISSUER,
    lifetimeMs: LIFETIME_MS,
    now: () => clock,
  });
});

const tokenOf = (decision: RedirectDecision): string => {
  if (decision.kind !== 'redirect') throw new Error(`expected a redirect, got ${JSON.stringify(decision)}`);
  return new URL(decision.location).searchParams.get('token')!;
};
const decide = (principal: Principal, digest = DIGEST, address = '192.0.2.1') =>
  redirects.decide(principal, REPO, digest, address);

describe('createRedirects: the decision', () => {
  it("redirects to the user's cache with the blob's path and a token in the query", async () => {
    const decision = await decide(ALICE);
    expect(decision).toMatchObject({ kind: 'redirect', cache: 'asia' });
    const location = new URL((decision as { location: string }).location);
    expect(`${location.origin}${location.pathname}`).toBe(`https://asia.example.com/v2/${REPO}/blobs/${DIGEST}`);
    expect([...location.searchParams.keys()]).toEqual(['token']);
  });

  it(
    'signs a redirect token for that user, the cache chain, the repository and the blob, for the ' +
      'configured lifetime',
    async () => {
      const claims = decodeJwt(tokenOf(await decide(ALICE)));
      expect(claims).toMatchObject({
        iss: ISSUER,
        sub: 'alice',
        aud: ['asia', 'eu'],
        use: 'blob-redirect',
        repo: REPO,
        digest: DIGEST,
      });
      expect(claims.exp! - claims.iat!).toBe(LIFETIME_MS / 1000);
      expect(claims.iat).toBe(Math.floor(T0 / 1000));
    },
  );

  it('names the anonymous subject for a pull without credentials (chosen by network)', async () => {
    const decision = await decide({ kind: 'anonymous' }, DIGEST, '127.0.0.1');
    expect(decision).toMatchObject({ kind: 'redirect', cache: 'lan' });
    expect(decodeJwt(tokenOf(decision))).toMatchObject({ sub: 'anonymous', aud: ['lan'] });
  });

  it('serves directly (no-preference) a user without setting outside every network', async () => {
    expect(await decide(BOB)).toEqual({ kind: 'direct', reason: 'no-preference' });
  });

  it(
    'serves directly (cache-down) when the whole chain is down, and names the next cache up when ' +
      'only the first is',
    async () => {
      down.add('asia');
      const decision = await decide(ALICE);
      expect(decision).toMatchObject({ kind: 'redirect', cache: 'eu' });
      expect(decodeJwt(tokenOf(decision)).aud).toEqual(['eu']);
      down.add('eu');
      expect(await decide(ALICE)).toEqual({ kind: 'direct', reason: 'cache-down' });
    },
  );
});

describe('createRedirects: token reuse', () => {
  it('hands out the same token while more than half of its life is left', async () => {
    const first = tokenOf(await decide(ALICE));
    clock = T0 + LIFETIME_MS / 2 - 1_000;
    expect(tokenOf(await decide(ALICE))).toBe(first);
  });

  it('signs a new token once half of the life has passed', async () => {
    const first = tokenOf(await decide(ALICE));
    clock = T0 + LIFETIME_MS / 2 + 1_000;
    const second = tokenOf(await decide(ALICE));
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBe(Math.floor(clock / 1000) + LIFETIME_MS / 1000);
  });

  it('never shares a token between users, blobs or caches', async () => {
    settings.bob = { userCache: 'asia', orgCaches: [] };
    const alice = tokenOf(await decide(ALICE));
    expect(tokenOf(await decide(BOB))).not.toBe(alice);
    expect(tokenOf(await decide(ALICE, OTHER_DIGEST))).not.toBe(alice);
    down.add('asia');
    expect(tokenOf(await decide(ALICE))).not.toBe(alice);
  });
});
