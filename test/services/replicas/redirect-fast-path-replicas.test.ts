/**
 * Main's redirect fast path on two replicas of one PostgreSQL (real processes): what decides a
 * redirect (the user's cache, an organization's default, the cache list) is kept in each
 * replica's memory, and a change made through one replica reaches the other's redirects at once
 * through the invalidation topics, not when the copies expire (30 s). Each replica is asked
 * directly, with the bearer token docker would send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, pushImageAs } from '../../helpers/api-client.js';
import { basicAuth, tokenFor } from '../../helpers/auth-http.js';
import { startTestEdge, type TestEdge } from '../../helpers/edge.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { waitFor } from '../../helpers/wait-for.js';

const ADMIN = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
const ALICE = basicAuth('alice', 'alice-password-1');
const REPO = 'alice/app';
// Well inside the copies' 30 s lifetime: only an invalidation can make the change show this soon.
const SEEN_WITHIN_MS = 10_000;

let postgres: TestPostgres;
let set: ReplicaSet;
let eu: TestEdge;
let us: TestEdge;
let digest: string;

beforeAll(async () => {
  postgres = await startPostgres();
  set = await startReplicaSet({ count: 2, databaseUrl: await postgres.createDatabase() });
  eu = await startTestEdge({ name: 'eu', upstream: set.url, issuer: set.url });
  us = await startTestEdge({ name: 'us', upstream: set.url, issuer: set.url });
  const [first] = set.replicas;
  await apiOk(first!.url, 'POST', '/accounts', 201, {
    auth: ADMIN,
    body: { name: 'alice', password: 'alice-password-1' },
  });
  for (const cache of [eu, us])
    await apiOk(first!.url, 'POST', '/content_caches', 201, {
      auth: ADMIN,
      body: { name: cache.name, host: cache.url },
    });
  await apiOk(first!.url, 'POST', '/accounts/alice/settings', 200, {
    auth: ADMIN,
    body: { defaultContentCache: 'eu' },
  });
  const manifest = await pushImageAs(set.url, ALICE, REPO, 'v1');
  digest = manifest.config.digest;
});
afterAll(async () => {
  await us?.stop();
  await eu?.stop();
  await set?.stop();
  await postgres?.remove();
});

/** Where replica `index` sends alice for the blob (the Location's origin), or its status. */
async function whereTo(index: number): Promise<string> {
  const replica = set.replicas[index]!;
  const token = await tokenFor(replica.url, ALICE, [`repository:${REPO}:pull`]);
  const res = await fetch(`${replica.url}/v2/${REPO}/blobs/${digest}`, {
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status === 307 ? new URL(res.headers.get('location')!).origin : String(res.status);
}

const sees = (index: number, cache: TestEdge | string) =>
  waitFor(
    async () => (await whereTo(index)) === (typeof cache === 'string' ? cache : cache.url),
    `replica ${index} to redirect alice to ${typeof cache === 'string' ? cache : cache.name}`,
    SEEN_WITHIN_MS,
  );

describe('a change on one replica, the redirects of the other', () => {
  it("follows the user's new cache", async () => {
    await sees(1, eu);
    const [first] = set.replicas;
    await apiOk(first!.url, 'POST', '/accounts/alice/settings', 200, {
      auth: ADMIN,
      body: { defaultContentCache: 'us' },
    });
    await sees(1, us);
    expect(await whereTo(0)).toBe(us.url);
  });

  it("follows an organization's default once the user has none and joins it", async () => {
    const [first] = set.replicas;
    await apiOk(first!.url, 'POST', '/accounts/alice/settings', 200, {
      auth: ADMIN,
      body: { defaultContentCache: '' },
    });
    // No cache: main serves the bytes itself.
    await sees(1, '200');
    await apiOk(first!.url, 'POST', '/accounts', 201, { auth: ADMIN, body: { isOrg: true, name: 'acme' } });
    await apiOk(first!.url, 'POST', '/accounts/acme/settings', 200, {
      auth: ADMIN,
      body: { defaultContentCache: 'eu' },
    });
    await apiOk(first!.url, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: { isAdmin: false } });
    await sees(1, eu);
  });

  it('follows a cache moved to another host', async () => {
    const [first] = set.replicas;
    await apiOk(first!.url, 'PATCH', '/content_caches/eu', 200, { auth: ADMIN, body: { host: us.url } });
    await sees(1, us);
  });
});
