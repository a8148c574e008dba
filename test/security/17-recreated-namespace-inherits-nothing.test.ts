/**
 * Issue 9, item 17 family: a re-created account name inherited the old account's repositories.
 * Repositories belong to a namespace by name only, and removing an account (API, CLI) left them
 * in place, so a new account of the same name owned the old private images and their events.
 * Removing a user or an organization whose namespace still has repositories is now refused
 * (409 CONFLICT on the API, exit 1 on the CLI) and changes nothing; once they are deleted the
 * removal goes through, and an account created again under the name starts empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainCli } from '../../main/cli.js';
import { ADMIN, PASSWORD, api, apiOk, createOrg, createUser, expectApiError } from '../helpers/api-client.js';
import { basicAuth, bearer, pushImageAs, tokenFor } from '../helpers/auth-http.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir } from '../helpers/temp-dir.js';

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

const repositoryNames = async (namespace: string, auth: string) =>
  JSON.stringify(await apiOk(main.url, 'GET', `/repositories/${namespace}`, 200, { auth }));
const pullStatus = async (name: string, auth: string) => {
  const token = await tokenFor(main.url, auth, [`repository:${name}:pull`]);
  const headers = { Authorization: bearer(token), Accept: 'application/vnd.oci.image.manifest.v1+json' };
  return (await fetch(`${main.url}/v2/${name}/manifests/v1`, { headers })).status;
};

describe('DELETE /api/v0/accounts/<user> while the namespace has repositories', () => {
  it('answers 409 CONFLICT naming how many, and removes nothing', async () => {
    const alice = await createUser(main.url, 'alice');
    await pushImageAs(main.url, 'alice/secret', 'v1', alice);
    await pushImageAs(main.url, 'alice/other', 'v1', alice);

    const res = await api(main.url, 'DELETE', '/accounts/alice', { auth: ADMIN });
    await expectApiError(
      res,
      409,
      'CONFLICT',
      /^user "alice" still has 2 repositories \(alice\/\.\.\.\): delete them first/,
    );
    await apiOk(main.url, 'GET', '/accounts/alice', 200, { auth: alice });
    expect(await pullStatus('alice/secret', alice)).toBe(200);
    expect(await repositoryNames('alice', alice)).toContain('alice/other');
  });

  it('removes the user once they are deleted; the name created again sees nothing of them', async () => {
    const first = await createUser(main.url, 'bob');
    await pushImageAs(main.url, 'bob/private', 'v1', first);
    await expectApiError(
      await api(main.url, 'DELETE', '/accounts/bob', { auth: ADMIN }),
      409,
      'CONFLICT',
      /1 repository/,
    );

    await apiOk(main.url, 'DELETE', '/repositories/bob/private', 204, { auth: ADMIN });
    await apiOk(main.url, 'DELETE', '/accounts/bob', 204, { auth: ADMIN });
    await createUser(main.url, 'bob', { password: 'the-second-bob' });
    const again = basicAuth('bob', 'the-second-bob');

    expect(await repositoryNames('bob', again)).not.toContain('bob/private');
    expect(await pullStatus('bob/private', again)).toBe(404);
    const events = await api(main.url, 'GET', '/repositories/bob/private/events', { auth: again });
    expect(events.status).toBe(404);
  });
});

describe('DELETE /api/v0/accounts/<organization> while the namespace has repositories', () => {
  it('answers 409 CONFLICT and keeps the organization, then removes it once they are deleted', async () => {
    await createOrg(main.url, 'acme');
    await pushImageAs(main.url, 'acme/app', 'v1', ADMIN);
    const res = await api(main.url, 'DELETE', '/accounts/acme', { auth: ADMIN });
    await expectApiError(res, 409, 'CONFLICT', /^organization "acme" still has 1 repository/);
    await apiOk(main.url, 'GET', '/accounts/acme', 200, { auth: ADMIN });
    expect(await pullStatus('acme/app', ADMIN)).toBe(200);

    await apiOk(main.url, 'DELETE', '/repositories/acme/app', 204, { auth: ADMIN });
    await apiOk(main.url, 'DELETE', '/accounts/acme', 204, { auth: ADMIN });
  });

  it('still removes an account that never had repositories', async () => {
    await createUser(main.url, 'carol');
    await apiOk(main.url, 'DELETE', '/accounts/carol', 204, { auth: ADMIN });
  });
});

describe('outpost main user remove while the namespace has repositories', () => {
  it('exits 1 with a message saying to delete them first, and keeps the user', async () => {
    const temp = await createTempDir('outpost-remove-cli-');
    try {
      const owner = await startTestMain({ auth: true, dataDir: temp.path });
      try {
        await pushImageAs(owner.url, 'dave/app', 'v1', await createUser(owner.url, 'dave'));
      } finally {
        await owner.stop();
      }
      let err = '';
      const io = { out: () => {}, err: (s: string) => void (err += s), readPassword: async () => PASSWORD };
      expect(await mainCli(['user', 'remove', 'dave', '--data', temp.path], {}, io)).toBe(1);
      expect(err).toBe(
        'outpost main user: user "dave" still has 1 repository (dave/...): delete them first, ' +
          'so that no later account of the same name inherits them\n',
      );
      let listed = '';
      await mainCli(['user', 'list', '--data', temp.path], {}, { ...io, out: (s: string) => void (listed += s) });
      expect(listed).toMatch(/^dave\s/m);
    } finally {
      await temp.remove();
    }
  });
});
