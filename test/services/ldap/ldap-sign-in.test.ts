/**
 * Signing in against a real OpenLDAP (test/helpers/slapd.ts): the Basic credentials of the API, the token
 * endpoint and the web sign-in all check a directory user's password against the directory, and create the
 * account on its first sign-in; local accounts keep working while the directory is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, api, apiOk, createUser, expectApiError, PASSWORD } from '../../helpers/api-client.js';
import { getToken } from '../../helpers/auth-http.js';
import { basicAuth, startTestMain, type TestMain } from '../../helpers/servers.js';
import { createLogger } from '../../../src/log/logger.js';
import { textOf, WebClient } from '../../helpers/web-client.js';
import { outpostLdapSettings, startSlapd, type TestSlapd } from '../../helpers/slapd.js';

let slapd: TestSlapd;
let main: TestMain;
const logLines: string[] = [];

beforeAll(async () => {
  slapd = await startSlapd({
    users: [
      { uid: 'alice', password: 'alice-pw-1', cn: 'Alice Liddell', mail: 'alice@example.test' },
      { uid: 'bob', password: 'bob-pw-12' },
      { uid: 'dora', password: 'dora-pw-12' },
      { uid: 'erin', password: 'erin-pw-12' },
      { uid: 'carol', password: 'carol-pw-1', attributes: { employeeType: 'disabled' } },
      // A directory user with the name of a local account: the local account's password is the one that counts.
      { uid: 'localuser', password: 'directory-pw' },
    ],
    groups: [],
  });
  main = await startTestMain({
    auth: true,
    logger: createLogger({ level: 'debug', write: (line) => void logLines.push(line) }),
  });
  await createUser(main.url, 'localuser');
  await apiOk(main.url, 'POST', '/meta/settings', 200, { auth: ADMIN, body: { ldap: outpostLdapSettings(slapd) } });
}, 60_000);

afterAll(async () => {
  await main?.stop();
  await slapd?.remove();
});

const whoAmI = (user: string, password: string) =>
  api(main.url, 'GET', `/accounts/${user}`, { auth: basicAuth(user, password) });

describe('sign-in with the directory enabled', () => {
  it('creates the account on its first sign-in, without a local password, named as the directory says', async () => {
    const res = await whoAmI('alice', 'alice-pw-1');
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      name: 'alice',
      fullName: 'Alice Liddell',
      isActive: true,
      isAdmin: false,
      fromDirectory: true,
    });
  });

  it('gives a registry token to a directory user (the token endpoint checks the same way)', async () => {
    const res = await getToken(main.url, { authorization: basicAuth('bob', 'bob-pw-12') });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token: string }).token).toMatch(/^ey/);
  });

  it('signs a directory user in on the web page', async () => {
    await new WebClient(main.url).signIn('dora', 'dora-pw-12');
  });

  it('refuses a wrong password with 401, and creates no account for it', async () => {
    await expectApiError(await whoAmI('erin', 'not-erins'), 401, 'UNAUTHORIZED', /incorrect username or password/);
    const res = await api(main.url, 'GET', '/accounts/erin', { auth: ADMIN });
    expect(res.status).toBe(404);
  });

  it('refuses a user the disabled filter matches, even with the right password', async () => {
    await expectApiError(await whoAmI('carol', 'carol-pw-1'), 401, 'UNAUTHORIZED', /incorrect username or password/);
  });

  it('refuses a name that is not in the directory', async () => {
    await expectApiError(await whoAmI('nobody', 'whatever-pw'), 401, 'UNAUTHORIZED', /incorrect/);
  });

  it('never asks the directory for a local account: its local password counts, not the directory one', async () => {
    expect((await whoAmI('localuser', PASSWORD)).status).toBe(200);
    await expectApiError(await whoAmI('localuser', 'directory-pw'), 401, 'UNAUTHORIZED', /incorrect/);
  });

  it('treats filter syntax in a username as a literal name: no wildcard signs in as anyone', async () => {
    // Refused before the directory is asked (not an account name), and escaped if it ever were.
    for (const name of ['*', 'al*', '*)(uid=*', 'alice)(|(uid=*']) {
      await expectApiError(await whoAmI(name, 'alice-pw-1'), 401, 'UNAUTHORIZED', /incorrect/);
    }
  });

  it('refuses an empty password (an unauthenticated bind the directory would accept)', async () => {
    const res = await fetch(`${main.url}/api/v0/accounts/alice`, {
      headers: { Authorization: basicAuth('alice', '') },
    });
    expect(res.status).toBe(401);
  });
});

describe('the directory is down', () => {
  beforeAll(() => slapd.stop());
  afterAll(() => slapd.start());

  it('lets local accounts, admin included, sign in', async () => {
    expect((await api(main.url, 'GET', '/accounts/admin', { auth: ADMIN })).status).toBe(200);
    expect((await whoAmI('localuser', PASSWORD)).status).toBe(200);
  });

  it('answers a directory user 503 UNAVAILABLE naming the directory, not "incorrect password"', async () => {
    // erin has not signed in yet, so no remembered password answers for the directory.
    const res = await getToken(main.url, { authorization: basicAuth('erin', 'erin-pw-12') });
    const text = await res.text();
    expect(res.status, text).toBe(503);
    expect(text).toMatch(/directory \(LDAP\) cannot be reached/);
    expect(text).not.toMatch(/incorrect/);
  });

  it('tells a directory user on the web sign-in page that the directory cannot be reached', async () => {
    const page = await new WebClient(main.url).submit('/sign-in', '/sign-in', {
      username: 'erin',
      password: 'erin-pw-12',
    });
    expect(page.status).toBe(503);
    expect(textOf(page.html)).toContain('The directory (LDAP) cannot be reached to check your password.');
  });
});

describe('after the directory is back', () => {
  it('signs directory users in again', async () => {
    expect((await whoAmI('erin', 'erin-pw-12')).status).toBe(200);
  });
});

describe('logs', () => {
  it('logged the directory outage, and never a password (bind or user)', () => {
    const all = logLines.join('\n');
    expect(all).toMatch(/directory sign-in failed: the directory is unavailable/);
    for (const secret of [slapd.servicePassword, 'alice-pw-1', 'bob-pw-12', 'erin-pw-12', 'not-erins'])
      expect(all).not.toContain(secret);
  });
});
