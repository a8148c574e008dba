import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { ADMIN, api, apiOk, createOrg, createUser, expectApiError, pushImageAs } from '../helpers/api-client.js';

let main: TestMain;
let base: string;
let alice: string;
let bob: string;

const setSettings = (body: Record<string, boolean>) =>
  apiOk(base, 'POST', '/meta/settings', 200, { auth: ADMIN, body });

/** The first request of a push: storing a blob in `name`. */
const pushBlob = (name: string, auth: string) => {
  const blob = randomBlob(64);
  return fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    headers: { Authorization: auth },
    body: blob.bytes,
  });
};

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
  await createOrg(base, 'acme');
  await apiOk(base, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: { isAdmin: true } });
});
afterAll(async () => {
  await main.stop();
});

describe('GET/POST /api/v0/meta/settings', () => {
  it('shows the defaults to any signed-in user', async () => {
    expect(await apiOk(base, 'GET', '/meta/settings', 200, { auth: bob })).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: true,
      scanOnPush: false,
    });
  });

  it('lets admins change one setting at a time (admins also see the directory settings)', async () => {
    // The directory (LDAP) settings: shown to admins only, off by default (test/services/ldap/ covers them).
    const ldap = expect.objectContaining({ enabled: false, bindPasswordSet: false });
    expect(await setSettings({ anonymousPull: false })).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: false,
      scanOnPush: false,
      ldap,
    });
    expect(await apiOk(base, 'GET', '/meta/settings', 200, { auth: ADMIN })).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: false,
      scanOnPush: false,
      ldap,
    });
    expect(await setSettings({ anonymousPull: true })).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: true,
      scanOnPush: false,
      ldap,
    });
  });

  it('answers 401 to anonymous callers, 403 to users, 400 to bad bodies', async () => {
    await expectApiError(await api(base, 'GET', '/meta/settings'), 401, 'UNAUTHORIZED', /sign in/);
    await expectApiError(
      await api(base, 'POST', '/meta/settings', { body: { anonymousPull: false } }),
      401,
      'UNAUTHORIZED',
      /sign in/,
    );
    await expectApiError(
      await api(base, 'POST', '/meta/settings', { auth: bob, body: { anonymousPull: false } }),
      403,
      'NO_PERMISSION',
      /only administrators may change registry settings/,
    );
    await expectApiError(
      await api(base, 'POST', '/meta/settings', { auth: ADMIN, body: { createRepositoryOnPush: 'off' } }),
      400,
      'INVALID_INPUT',
      /^createRepositoryOnPush: /,
    );
    await expectApiError(
      await api(base, 'POST', '/meta/settings', { auth: ADMIN, body: '{"anonymousPull":' }),
      400,
      'INVALID_INPUT',
      /not valid JSON/,
    );
  });
});

describe('creating repositories by pushing', () => {
  it("creates a private repository in the pusher's namespace when createRepositoryOnPush is on", async () => {
    await pushImageAs(base, alice, 'alice/auto', 'v1');
    expect(await apiOk(base, 'GET', '/repositories/alice/auto', 200, { auth: alice })).toMatchObject({
      visibility: 'private',
      immutableTags: false,
    });
    await pushImageAs(base, alice, 'acme/auto', 'v1');
  });

  // Whether acme/new exists is not bob's to learn (issue 9, item 16): the same 403 as for a
  // private repository; see test/security/16-v2-name-probing.test.ts.
  it('answers 403 DENIED for an organization namespace without rights, as for a private repository', async () => {
    const error = await expectOciError(await pushBlob('acme/new', bob), 403, 'DENIED');
    expect(error.message).toBe('bob may not pull/push acme/new');
    await expectApiError(
      await api(base, 'GET', '/repositories/acme/new', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
  });

  it('refuses creation by push when createRepositoryOnPush is off, until the repository is created', async () => {
    await setSettings({ createRepositoryOnPush: false });
    try {
      const error = await expectOciError(await pushBlob('alice/fresh', alice), 404, 'NAME_UNKNOWN');
      expect(error.message).toMatch(/create it first \(POST \/api\/v0\/repositories\/<namespace>\)/);
      await expectApiError(
        await api(base, 'GET', '/repositories/alice/fresh', { auth: alice }),
        404,
        'NOT_FOUND',
        /does not exist/,
      );
      await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'fresh' } });
      await pushImageAs(base, alice, 'alice/fresh', 'v1');
      // Pushing into repositories that exist is unaffected.
      await pushImageAs(base, alice, 'alice/auto', 'v2');
    } finally {
      await setSettings({ createRepositoryOnPush: true });
    }
  });
});

describe('anonymousPull', () => {
  it('when off, anonymous callers see and pull no public repository', async () => {
    await apiOk(base, 'POST', '/repositories/alice', 201, {
      auth: alice,
      body: { name: 'open', visibility: 'public' },
    });
    await pushImageAs(base, alice, 'alice/open', 'v1');
    expect(await apiOk(base, 'GET', '/repositories', 200)).toEqual({
      repositories: [expect.objectContaining({ fullName: 'alice/open' })],
    });
    expect((await fetch(`${base}/v2/alice/open/manifests/v1`)).status).toBe(200);

    await setSettings({ anonymousPull: false });
    try {
      expect(await apiOk(base, 'GET', '/repositories', 200)).toEqual({ repositories: [] });
      await expectApiError(await api(base, 'GET', '/repositories/alice/open'), 404, 'NOT_FOUND', /does not exist/);
      await expectOciError(await fetch(`${base}/v2/alice/open/manifests/v1`), 401, 'UNAUTHORIZED');
      expect(await apiOk(base, 'GET', '/repositories/alice/open', 200, { auth: bob })).toMatchObject({
        visibility: 'public',
      });
    } finally {
      await setSettings({ anonymousPull: true });
    }
  });
});

const POSTGRES_LOCATION = /^PostgreSQL at postgres:\/\/outpost:\[redacted\]@127\.0\.0\.1:\d+\/t_[0-9a-f]+$/;
const DATABASE_LOCATION = {
  embedded: /^LMDB in .*db$/,
  postgres: POSTGRES_LOCATION,
  'postgres-s3': POSTGRES_LOCATION,
} as const;
const BLOBS_LOCATION = {
  embedded: /^directory /,
  postgres: /^directory /,
  'postgres-s3': /^s3:\/\/test-[0-9a-f]+\/main\?endpoint=http%3A%2F%2F127\.0\.0\.1%3A\d+&region=/,
} as const;

describe('GET /api/v0/meta/cluster_status', () => {
  it('reports version, uptime, store size, counts, key ids, the replicas and the backends to admins', async () => {
    const status = await apiOk<Record<string, unknown>>(base, 'GET', '/meta/cluster_status', 200, { auth: ADMIN });
    const jwks = (await (await fetch(`${base}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(status).toEqual({
      version: '0.1.0',
      startedAt: expect.any(String),
      uptimeSeconds: expect.any(Number),
      storage: { blobs: expect.any(Number), bytes: expect.any(Number) },
      users: 3,
      organizations: 1,
      repositories: await main.service.registryMetadata.countRepositories(),
      keys: { signing: jwks.keys.at(-1)!.kid, published: jwks.keys.map((k) => k.kid) },
      // The embedded main is a cluster of one: itself.
      replicas: [
        {
          id: expect.any(String),
          url: main.url,
          version: '0.1.0',
          startedAt: expect.any(String),
          lastSeenAt: expect.any(String),
          up: true,
          self: true,
        },
      ],
      // Named without its password.
      database: { location: expect.stringMatching(DATABASE_LOCATION[main.backend.kind]), healthy: true },
      blobStore: { location: expect.stringMatching(BLOBS_LOCATION[main.backend.kind]), healthy: true },
    });
    const storage = status.storage as { blobs: number; bytes: number };
    expect(storage.blobs).toBeGreaterThan(0);
    expect(storage.bytes).toBeGreaterThan(storage.blobs);
  });

  it('answers 403 to users and 401 to anonymous callers', async () => {
    await expectApiError(
      await api(base, 'GET', '/meta/cluster_status', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may see the cluster status/,
    );
    await expectApiError(await api(base, 'GET', '/meta/cluster_status'), 401, 'UNAUTHORIZED', /sign in/);
  });
});
