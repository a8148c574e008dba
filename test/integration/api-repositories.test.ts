import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createOrg, createUser, expectApiError, pushImageAs } from '../helpers/api-client.js';

let main: TestMain;
let base: string;
let alice: string;
let bob: string;
/** Plain member of acme, in team `devs`. */
let dora: string;

interface RepoView {
  namespace: string;
  name: string;
  fullName: string;
  visibility: string;
  immutableTags: boolean;
}

const names = (body: { repositories: RepoView[] }) => body.repositories.map((r) => r.fullName);

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
  dora = await createUser(base, 'dora');
  await createOrg(base, 'acme');
  await apiOk(base, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: { isAdmin: true } });
  await apiOk(base, 'POST', '/accounts/acme/teams', 201, { auth: ADMIN, body: { name: 'devs' } });
  await apiOk(base, 'PUT', '/accounts/acme/teams/devs/members/dora', 200, { auth: ADMIN });
});
afterAll(async () => {
  await main.stop();
});

describe('POST /api/v0/repositories/<namespace>', () => {
  it("creates a repository in the caller's own namespace (201), private by default", async () => {
    expect(await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'app' } })).toEqual({
      namespace: 'alice',
      namespaceType: 'user',
      name: 'app',
      fullName: 'alice/app',
      visibility: 'private',
      immutableTags: false,
      blockPullsAtSeverity: 'none',
      createdAt: expect.any(String),
    });
    expect(
      await apiOk(base, 'POST', '/repositories/alice', 201, {
        auth: alice,
        body: { name: 'site', visibility: 'public', immutableTags: true },
      }),
    ).toMatchObject({
      visibility: 'public',
      immutableTags: true,
    });
  });

  it('lets organization admins and admins create in an organization', async () => {
    expect(await apiOk(base, 'POST', '/repositories/acme', 201, { auth: alice, body: { name: 'api' } })).toMatchObject({
      namespaceType: 'organization',
      fullName: 'acme/api',
    });
    await apiOk(base, 'POST', '/repositories/acme', 201, { auth: ADMIN, body: { name: 'web', visibility: 'public' } });
    await apiOk(base, 'POST', '/repositories/bob', 201, { auth: ADMIN, body: { name: 'tool' } });
  });

  it("answers 403 NO_PERMISSION in someone else's namespace or as a plain organization member", async () => {
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { auth: bob, body: { name: 'x' } }),
      403,
      'NO_PERMISSION',
      /bob may not create repositories in "alice"/,
    );
    await expectApiError(
      await api(base, 'POST', '/repositories/acme', { auth: dora, body: { name: 'x' } }),
      403,
      'NO_PERMISSION',
      /dora may not create repositories in "acme"/,
    );
  });

  it('answers 401, 404, 400, 409 to anonymous callers, unknown namespaces, bad input, existing names', async () => {
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { body: { name: 'x' } }),
      401,
      'UNAUTHORIZED',
      /sign in/,
    );
    await expectApiError(
      await api(base, 'POST', '/repositories/ghost', { auth: ADMIN, body: { name: 'x' } }),
      404,
      'NOT_FOUND',
      /namespace "ghost" is not a user or an organization/,
    );
    for (const name of ['Bad', 'a/b', '-x', '']) {
      await expectApiError(
        await api(base, 'POST', '/repositories/alice', { auth: alice, body: { name } }),
        400,
        'INVALID_INPUT',
        /repository name must be lowercase/,
      );
    }
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { auth: alice, body: {} }),
      400,
      'INVALID_INPUT',
      /^name: /,
    );
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { auth: alice, body: { name: 'y', visibility: 'secret' } }),
      400,
      'INVALID_INPUT',
      /^visibility: /,
    );
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { auth: alice, body: 'nope' }),
      400,
      'INVALID_INPUT',
      /not valid JSON/,
    );
    await expectApiError(
      await api(base, 'POST', '/repositories/alice', { auth: alice, body: { name: 'app' } }),
      409,
      'ALREADY_EXISTS',
      /"alice\/app" already exists/,
    );
  });
});

describe('GET /api/v0/repositories', () => {
  it('lists only what the caller may pull, in name order', async () => {
    expect(names(await apiOk(base, 'GET', '/repositories', 200, { auth: ADMIN }))).toEqual([
      'acme/api',
      'acme/web',
      'alice/app',
      'alice/site',
      'bob/tool',
    ]);
    expect(names(await apiOk(base, 'GET', '/repositories', 200, { auth: alice }))).toEqual([
      'acme/api',
      'acme/web',
      'alice/app',
      'alice/site',
    ]);
    expect(names(await apiOk(base, 'GET', '/repositories', 200, { auth: bob }))).toEqual([
      'acme/web',
      'alice/site',
      'bob/tool',
    ]);
    expect(names(await apiOk(base, 'GET', '/repositories', 200))).toEqual(['acme/web', 'alice/site']);
  });

  it('pages with pageSize and pageStart, announcing the next page in X-Next-Page-Start', async () => {
    const first = await api(base, 'GET', '/repositories?pageSize=2', { auth: ADMIN });
    expect(names((await first.json()) as { repositories: RepoView[] })).toEqual(['acme/api', 'acme/web']);
    expect(first.headers.get('x-next-page-start')).toBe('acme/web');
    const second = await api(base, 'GET', '/repositories?pageSize=2&pageStart=acme/web', { auth: ADMIN });
    expect(names((await second.json()) as { repositories: RepoView[] })).toEqual(['alice/app', 'alice/site']);
    const last = await api(base, 'GET', '/repositories?pageSize=2&pageStart=alice/site', { auth: ADMIN });
    expect(names((await last.json()) as { repositories: RepoView[] })).toEqual(['bob/tool']);
    expect(last.headers.get('x-next-page-start')).toBeNull();
  });

  it('answers 400 INVALID_INPUT for a bad pageSize', async () => {
    for (const size of ['0', '1001', 'ten', '1.5']) {
      await expectApiError(
        await api(base, 'GET', `/repositories?pageSize=${size}`, { auth: ADMIN }),
        400,
        'INVALID_INPUT',
        /pageSize must be an integer from 1 to 1000/,
      );
    }
  });
});

describe('GET /api/v0/repositories/<namespace>', () => {
  it('lists one namespace', async () => {
    expect(names(await apiOk(base, 'GET', '/repositories/acme', 200, { auth: alice }))).toEqual([
      'acme/api',
      'acme/web',
    ]);
    expect(names(await apiOk(base, 'GET', '/repositories/alice', 200, { auth: bob }))).toEqual(['alice/site']);
    expect(names(await apiOk(base, 'GET', '/repositories/dora', 200, { auth: dora }))).toEqual([]);
  });

  it('lists a namespace that is no account as empty (test/security/16)', async () => {
    expect(names(await apiOk(base, 'GET', '/repositories/ghost', 200, { auth: ADMIN }))).toEqual([]);
  });
});

describe('GET /api/v0/repositories/<namespace>/<repo>', () => {
  it('shows a repository the caller may pull', async () => {
    expect(await apiOk(base, 'GET', '/repositories/alice/app', 200, { auth: alice })).toMatchObject({
      fullName: 'alice/app',
      visibility: 'private',
    });
    expect(await apiOk(base, 'GET', '/repositories/alice/site', 200)).toMatchObject({
      fullName: 'alice/site',
      visibility: 'public',
    });
  });

  it('answers 404 NOT_FOUND alike for a private repository and one that does not exist', async () => {
    const hidden = await expectApiError(
      await api(base, 'GET', '/repositories/alice/app', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "alice\/app" does not exist/,
    );
    const missing = await expectApiError(
      await api(base, 'GET', '/repositories/alice/nope', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "alice\/nope" does not exist/,
    );
    expect(hidden.replace('app', 'nope')).toBe(missing);
  });

  it('addresses a deeper name pushed by a registry client with its slash encoded', async () => {
    await pushImageAs(base, alice, 'alice/tools/cli', 'v1');
    expect(await apiOk(base, 'GET', '/repositories/alice/tools%2Fcli', 200, { auth: alice })).toMatchObject({
      namespace: 'alice',
      name: 'tools/cli',
      fullName: 'alice/tools/cli',
    });
    expect((await api(base, 'DELETE', '/repositories/alice/tools%2Fcli', { auth: alice })).status).toBe(204);
  });
});

describe('PATCH /api/v0/repositories/<namespace>/<repo>', () => {
  it("changes visibility and tag immutability for the repository's administrators", async () => {
    expect(
      await apiOk(base, 'PATCH', '/repositories/alice/app', 200, { auth: alice, body: { visibility: 'public' } }),
    ).toMatchObject({ visibility: 'public', immutableTags: false });
    expect(await apiOk(base, 'GET', '/repositories/alice/app', 200, { auth: bob })).toMatchObject({
      visibility: 'public',
    });
    expect(
      await apiOk(base, 'PATCH', '/repositories/alice/app', 200, {
        auth: ADMIN,
        body: { visibility: 'private', immutableTags: true },
      }),
    ).toMatchObject({
      visibility: 'private',
      immutableTags: true,
    });
  });

  it('lets a team with the admin grant change settings, but not one with read-write', async () => {
    await apiOk(base, 'PUT', '/repositories/acme/api/teamAccess/devs', 200, {
      auth: alice,
      body: { accessLevel: 'read-write' },
    });
    await expectApiError(
      await api(base, 'PATCH', '/repositories/acme/api', { auth: dora, body: { immutableTags: true } }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme\/api"/,
    );
    await apiOk(base, 'PUT', '/repositories/acme/api/teamAccess/devs', 200, {
      auth: alice,
      body: { accessLevel: 'admin' },
    });
    expect(
      await apiOk(base, 'PATCH', '/repositories/acme/api', 200, { auth: dora, body: { immutableTags: true } }),
    ).toMatchObject({ immutableTags: true });
  });

  it('answers 403, 404, 401 and 400 for readers, hidden repositories, anonymous callers and bad bodies', async () => {
    await expectApiError(
      await api(base, 'PATCH', '/repositories/alice/site', { auth: bob, body: { visibility: 'private' } }),
      403,
      'NO_PERMISSION',
      /only administrators of "alice\/site"/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/repositories/alice/app', { auth: bob, body: { visibility: 'public' } }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/repositories/alice/site', { body: { visibility: 'private' } }),
      401,
      'UNAUTHORIZED',
      /sign in/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/repositories/alice/app', { auth: alice, body: { immutableTags: 'yes' } }),
      400,
      'INVALID_INPUT',
      /^immutableTags: /,
    );
    await expectApiError(
      await api(base, 'PATCH', '/repositories/alice/app', { auth: alice, body: '[]' }),
      400,
      'INVALID_INPUT',
      /JSON object/,
    );
  });
});

describe('DELETE /api/v0/repositories/<namespace>/<repo>', () => {
  it('removes the repository with its tags, manifests, blob links, events and grants; blobs stay for gc', async () => {
    await apiOk(base, 'POST', '/repositories/acme', 201, { auth: alice, body: { name: 'old' } });
    const manifest = await pushImageAs(base, alice, 'acme/old', 'v1');
    await apiOk(base, 'PUT', '/repositories/acme/old/teamAccess/devs', 200, {
      auth: alice,
      body: { accessLevel: 'read' },
    });
    expect((await api(base, 'DELETE', '/repositories/acme/old', { auth: alice })).status).toBe(204);

    const metadata = main.service.registryMetadata;
    const repo = 'acme/old' as RepoName;
    const config = manifest.config.digest as Digest;
    expect(await metadata.listTags(repo, { limit: 10 })).toEqual([]);
    expect(await metadata.getManifest(repo, manifest.digest as Digest)).toBeUndefined();
    expect(await metadata.hasBlob(repo, config)).toBe(false);
    expect(await metadata.referencingRepositories(config)).toEqual([]);
    expect(await metadata.listEvents(repo, 10)).toEqual([]);
    expect(await metadata.getBlob(config)).toBeDefined();
    await expectApiError(
      await api(base, 'GET', '/repositories/acme/old', { auth: alice }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/devs/repositoryAccess', 200, { auth: dora })).toEqual({
      repositoryAccessList: [{ team: 'devs', repository: { namespace: 'acme', name: 'api' }, accessLevel: 'admin' }],
    });
    const pull = await fetch(`${base}/v2/acme/old/manifests/v1`, { headers: { Authorization: ADMIN } });
    expect(pull.status).toBe(404);

    // A repository created again under the same name starts empty.
    await apiOk(base, 'POST', '/repositories/acme', 201, { auth: alice, body: { name: 'old' } });
    expect(await apiOk(base, 'GET', '/repositories/acme/old/tags', 200, { auth: alice })).toEqual([]);
    expect(await apiOk(base, 'GET', '/repositories/acme/old/events', 200, { auth: alice })).toEqual({
      events: [expect.objectContaining({ type: 'create' })],
    });
  });

  it('answers 403 to readers, 404 for hidden or unknown repositories, 401 to anonymous callers', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/repositories/alice/site', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators of "alice\/site"/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/repositories/alice/app', { auth: bob }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/repositories/alice/nope', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await expectApiError(await api(base, 'DELETE', '/repositories/alice/site'), 401, 'UNAUTHORIZED', /sign in/);
  });
});
