import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createOrg, createUser, expectApiError } from '../helpers/api-client.js';

let main: TestMain;
let base: string;
/** Administrator of acme. */
let alice: string;
/** Plain member of acme. */
let bob: string;
/** In no organization at first (joins acme through a team later). */
let carol: string;
/** In no organization at the end. */
let dan: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
  carol = await createUser(base, 'carol');
  dan = await createUser(base, 'dan');
  await createOrg(base, 'acme');
  await apiOk(base, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: { isAdmin: true } });
  await apiOk(base, 'PUT', '/accounts/acme/members/bob', 200, { auth: alice, body: {} });
  await apiOk(base, 'POST', '/repositories/acme', 201, { auth: alice, body: { name: 'app' } });
});
afterAll(async () => {
  await main.stop();
});

describe('/api/v0/accounts/<org>/members', () => {
  it('lists members with their admin flag to members and admins', async () => {
    const expected = {
      members: [
        { name: 'alice', isAdmin: true },
        { name: 'bob', isAdmin: false },
      ],
    };
    expect(await apiOk(base, 'GET', '/accounts/acme/members', 200, { auth: bob })).toEqual(expected);
    expect(await apiOk(base, 'GET', '/accounts/acme/members', 200, { auth: ADMIN })).toEqual(expected);
  });

  it('answers 403 to outsiders, 401 to anonymous callers, 404 for an unknown organization', async () => {
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/members', { auth: carol }),
      403,
      'NO_PERMISSION',
      /only members of "acme"/,
    );
    await expectApiError(await api(base, 'GET', '/accounts/acme/members'), 401, 'UNAUTHORIZED', /sign in/);
    await expectApiError(
      await api(base, 'GET', '/accounts/nope/members', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /organization "nope" does not exist/,
    );
  });

  it('PUT adds or changes a member (organization admins and admins only)', async () => {
    expect(
      await apiOk(base, 'PUT', '/accounts/acme/members/dan', 200, { auth: alice, body: { isAdmin: false } }),
    ).toEqual({ name: 'dan', isAdmin: false });
    expect(
      await apiOk(base, 'PUT', '/accounts/acme/members/dan', 200, { auth: ADMIN, body: { isAdmin: true } }),
    ).toEqual({ name: 'dan', isAdmin: true });
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/members/carol', { auth: bob, body: {} }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/members/ghost', { auth: alice, body: {} }),
      404,
      'NOT_FOUND',
      /user "ghost" does not exist/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts/nope/members/dan', { auth: ADMIN, body: {} }),
      404,
      'NOT_FOUND',
      /organization "nope"/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/members/dan', { auth: alice, body: { isAdmin: 'yes' } }),
      400,
      'INVALID_INPUT',
      /^isAdmin: /,
    );
  });

  it('DELETE removes a member (204), and 404s for someone who is not one', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/members/dan', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    expect((await api(base, 'DELETE', '/accounts/acme/members/dan', { auth: alice })).status).toBe(204);
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/members/dan', { auth: alice }),
      404,
      'NOT_FOUND',
      /"dan" is not a member of "acme"/,
    );
  });
});

describe('/api/v0/accounts/<org>/teams', () => {
  it('POST creates a team (201), GET lists and shows it', async () => {
    expect(
      await apiOk(base, 'POST', '/accounts/acme/teams', 201, {
        auth: alice,
        body: { name: 'devs', description: 'Developers' },
      }),
    ).toEqual({
      name: 'devs',
      description: 'Developers',
    });
    await apiOk(base, 'POST', '/accounts/acme/teams', 201, { auth: ADMIN, body: { name: 'ops' } });
    expect(await apiOk(base, 'GET', '/accounts/acme/teams', 200, { auth: bob })).toEqual({
      teams: [{ name: 'devs', description: 'Developers' }, { name: 'ops' }],
    });
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/devs', 200, { auth: bob })).toEqual({
      name: 'devs',
      description: 'Developers',
    });
  });

  it('answers 409 for a team that exists, 400 for a bad name, 403 to members, 404 for an unknown team', async () => {
    await expectApiError(
      await api(base, 'POST', '/accounts/acme/teams', { auth: alice, body: { name: 'devs' } }),
      409,
      'ALREADY_EXISTS',
      /team "devs" already exists in "acme"/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/acme/teams', { auth: alice, body: { name: 'Bad Team' } }),
      400,
      'INVALID_INPUT',
      /team name must be lowercase/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/acme/teams', { auth: alice, body: {} }),
      400,
      'INVALID_INPUT',
      /^name: /,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/acme/teams', { auth: bob, body: { name: 'mine' } }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams', { auth: carol }),
      403,
      'NO_PERMISSION',
      /only members of "acme"/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams/nope', { auth: bob }),
      404,
      'NOT_FOUND',
      /team "nope" does not exist in "acme"/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/nope/teams', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /organization "nope" does not exist/,
    );
  });

  it('PATCH renames a team or changes its description, keeping its members (organization admins only)', async () => {
    await apiOk(base, 'POST', '/accounts/acme/teams', 201, { auth: alice, body: { name: 'renamed-from' } });
    await apiOk(base, 'PUT', '/accounts/acme/teams/renamed-from/members/bob', 200, { auth: alice });
    await expectApiError(
      await api(base, 'PATCH', '/accounts/acme/teams/renamed-from', { auth: bob, body: { name: 'mine' } }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/acme/teams/renamed-from', { auth: alice, body: { name: 'Bad Name' } }),
      400,
      'INVALID_INPUT',
      /team/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/acme/teams/renamed-from', { auth: alice, body: { owner: 'x' } }),
      400,
      'INVALID_INPUT',
      /owner|unrecognized/i,
    );
    expect(
      await apiOk(base, 'PATCH', '/accounts/acme/teams/renamed-from', 200, {
        auth: alice,
        body: { name: 'renamed-to', description: 'after the move' },
      }),
    ).toEqual({ name: 'renamed-to', description: 'after the move' });
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/renamed-to/members', 200, { auth: alice })).toEqual({
      members: [{ name: 'bob' }],
    });
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams/renamed-from', { auth: alice }),
      404,
      'NOT_FOUND',
      /team "renamed-from" does not exist/,
    );
    await apiOk(base, 'DELETE', '/accounts/acme/teams/renamed-to', 204, { auth: alice });
  });

  it('DELETE removes a team (204)', async () => {
    await apiOk(base, 'POST', '/accounts/acme/teams', 201, { auth: alice, body: { name: 'temp' } });
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/teams/temp', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    expect((await api(base, 'DELETE', '/accounts/acme/teams/temp', { auth: alice })).status).toBe(204);
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/teams/temp', { auth: alice }),
      404,
      'NOT_FOUND',
      /team "temp" does not exist/,
    );
  });
});

describe('/api/v0/accounts/<org>/teams/<team>/members/<member>', () => {
  it('PUT adds a user to the team, and to the organization when needed', async () => {
    expect(await apiOk(base, 'PUT', '/accounts/acme/teams/devs/members/bob', 200, { auth: alice })).toEqual({
      name: 'bob',
    });
    expect(await apiOk(base, 'PUT', '/accounts/acme/teams/devs/members/carol', 200, { auth: alice })).toEqual({
      name: 'carol',
    });
    const { members } = await apiOk<{ members: Array<{ name: string }> }>(base, 'GET', '/accounts/acme/members', 200, {
      auth: carol,
    });
    expect(members).toContainEqual({ name: 'carol', isAdmin: false });
  });

  it('GET lists the team and checks one member', async () => {
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/devs/members', 200, { auth: bob })).toEqual({
      members: [{ name: 'bob' }, { name: 'carol' }],
    });
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/devs/members/bob', 200, { auth: bob })).toEqual({
      name: 'bob',
    });
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams/devs/members/alice', { auth: bob }),
      404,
      'NOT_FOUND',
      /"alice" is not a member of team "devs"/,
    );
  });

  it('answers 403 to plain members, 404 for unknown users and teams', async () => {
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/teams/devs/members/dan', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators of "acme"/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/teams/devs/members/ghost', { auth: alice }),
      404,
      'NOT_FOUND',
      /user "ghost" does not exist/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts/acme/teams/nope/members/bob', { auth: alice }),
      404,
      'NOT_FOUND',
      /team "nope" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams/nope/members', { auth: alice }),
      404,
      'NOT_FOUND',
      /team "nope" does not exist/,
    );
  });

  it('DELETE removes a team member (204), and 404s for a non-member', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/teams/devs/members/carol', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators/,
    );
    expect((await api(base, 'DELETE', '/accounts/acme/teams/devs/members/carol', { auth: alice })).status).toBe(204);
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme/teams/devs/members/carol', { auth: alice }),
      404,
      'NOT_FOUND',
      /"carol" is not a member of team "devs"/,
    );
  });
});

describe('team repository access', () => {
  it("PUT grants a level (DTR read-only reads as read), which the team's members then have", async () => {
    await expectApiError(
      await api(base, 'GET', '/repositories/acme/app', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "acme\/app" does not exist/,
    );
    expect(
      await apiOk(base, 'PUT', '/repositories/acme/app/teamAccess/devs', 200, {
        auth: alice,
        body: { accessLevel: 'read-only' },
      }),
    ).toEqual({
      team: 'devs',
      repository: { namespace: 'acme', name: 'app' },
      accessLevel: 'read',
    });
    expect(await apiOk(base, 'GET', '/repositories/acme/app', 200, { auth: bob })).toMatchObject({
      fullName: 'acme/app',
    });
    expect(
      await apiOk(base, 'PUT', '/repositories/acme/app/teamAccess/devs', 200, {
        auth: ADMIN,
        body: { accessLevel: 'read-write' },
      }),
    ).toMatchObject({
      accessLevel: 'read-write',
    });
  });

  it('GET /api/v0/accounts/<org>/teams/<team>/repositoryAccess lists the grants', async () => {
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/devs/repositoryAccess', 200, { auth: bob })).toEqual({
      repositoryAccessList: [
        { team: 'devs', repository: { namespace: 'acme', name: 'app' }, accessLevel: 'read-write' },
      ],
    });
    expect(await apiOk(base, 'GET', '/accounts/acme/teams/ops/repositoryAccess', 200, { auth: bob })).toEqual({
      repositoryAccessList: [],
    });
    await expectApiError(
      await api(base, 'GET', '/accounts/acme/teams/devs/repositoryAccess', { auth: dan }),
      403,
      'NO_PERMISSION',
      /only members/,
    );
  });

  it('answers 400 (bad level), 403 (plain member), 404 (unknown repository, team or organization)', async () => {
    await expectApiError(
      await api(base, 'PUT', '/repositories/acme/app/teamAccess/devs', {
        auth: alice,
        body: { accessLevel: 'owner' },
      }),
      400,
      'INVALID_INPUT',
      /^accessLevel: /,
    );
    await expectApiError(
      await api(base, 'PUT', '/repositories/acme/app/teamAccess/devs', { auth: alice, body: {} }),
      400,
      'INVALID_INPUT',
      /^accessLevel: /,
    );
    await expectApiError(
      await api(base, 'PUT', '/repositories/acme/app/teamAccess/devs', { auth: bob, body: { accessLevel: 'admin' } }),
      403,
      'NO_PERMISSION',
      /only administrators/,
    );
    await expectApiError(
      await api(base, 'PUT', '/repositories/acme/nope/teamAccess/devs', {
        auth: alice,
        body: { accessLevel: 'read' },
      }),
      404,
      'NOT_FOUND',
      /repository "acme\/nope" does not exist/,
    );
    await expectApiError(
      await api(base, 'PUT', '/repositories/acme/app/teamAccess/nope', {
        auth: alice,
        body: { accessLevel: 'read' },
      }),
      404,
      'NOT_FOUND',
      /team "nope" does not exist/,
    );
    await expectApiError(
      await api(base, 'PUT', '/repositories/bob/app/teamAccess/devs', { auth: ADMIN, body: { accessLevel: 'read' } }),
      404,
      'NOT_FOUND',
      /organization "bob" does not exist/,
    );
  });

  it('DELETE revokes a grant (204), and 404s when there is none', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/repositories/acme/app/teamAccess/devs', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators/,
    );
    expect((await api(base, 'DELETE', '/repositories/acme/app/teamAccess/devs', { auth: alice })).status).toBe(204);
    await expectApiError(
      await api(base, 'GET', '/repositories/acme/app', { auth: bob }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/repositories/acme/app/teamAccess/devs', { auth: alice }),
      404,
      'NOT_FOUND',
      /team "devs" has no access to "acme\/app"/,
    );
  });
});
