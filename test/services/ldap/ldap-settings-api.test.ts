/**
 * `GET/POST /api/v0/meta/settings` (`ldap`) and `POST /api/v0/meta/settings/ldap/test` against a real
 * OpenLDAP: the bind password is write-only, settings are checked with limits, and "test connection"
 * reports what it found (paged past the server's 200-entry limit) over plain LDAP, StartTLS and LDAPS,
 * changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, api, apiOk, createUser, expectApiError } from '../../helpers/api-client.js';
import { startTestMain, type TestMain } from '../../helpers/servers.js';
import { groupDn, outpostLdapSettings, startSlapd, userDn, type TestSlapd } from '../../helpers/slapd.js';

let slapd: TestSlapd;
let main: TestMain;
let userAuth: string;
const USERS = 250;

beforeAll(async () => {
  const users = Array.from({ length: USERS }, (_, i) => ({ uid: `user${i}`, password: `password-${i}` }));
  slapd = await startSlapd({
    users,
    groups: [
      { cn: 'inner', members: [userDn('user1'), userDn('user2')] },
      { cn: 'outer', members: [userDn('user0'), groupDn('inner')] },
    ],
  });
  main = await startTestMain({ auth: true });
  userAuth = await createUser(main.url, 'someone');
}, 60_000);

afterAll(async () => {
  await main?.stop();
  await slapd?.remove();
});

type Report = {
  ok: boolean;
  error?: string;
  users?: { count: number; firstDns: string[] };
  user?: { found: boolean; dn?: string };
  teams: { members: number; firstDns: string[] }[];
};
const testConnection = (body: unknown) =>
  apiOk<Report>(main.url, 'POST', '/meta/settings/ldap/test', 200, { auth: ADMIN, body });

describe('ldap settings', () => {
  it('stores them and never answers the bind password (only whether one is set)', async () => {
    const saved = await apiOk<{ ldap: Record<string, unknown> }>(main.url, 'POST', '/meta/settings', 200, {
      auth: ADMIN,
      body: { ldap: outpostLdapSettings(slapd) },
    });
    expect(saved.ldap).toMatchObject({ enabled: true, url: slapd.url, bindPasswordSet: true });
    expect(saved.ldap).not.toHaveProperty('bindPassword');
    const text = await (await api(main.url, 'GET', '/meta/settings', { auth: ADMIN })).text();
    expect(text).not.toContain(slapd.servicePassword);
    expect(JSON.parse(text).ldap).toMatchObject({ bindPasswordSet: true, userSearchBase: expect.any(String) });
  });

  it('shows them to administrators only', async () => {
    const seen = await apiOk<Record<string, unknown>>(main.url, 'GET', '/meta/settings', 200, { auth: userAuth });
    expect(seen).not.toHaveProperty('ldap');
    await expectApiError(
      await api(main.url, 'POST', '/meta/settings', { auth: userAuth, body: { ldap: { enabled: false } } }),
      403,
      'NO_PERMISSION',
      /registry settings/,
    );
  });

  it('keeps the bind password when a patch does not name it', async () => {
    await apiOk(main.url, 'POST', '/meta/settings', 200, { auth: ADMIN, body: { ldap: { syncIntervalMinutes: 30 } } });
    expect((await testConnection({})).ok).toBe(true);
  });

  it('refuses bad values with the field named, and changes nothing', async () => {
    const bad: [unknown, RegExp][] = [
      [{ url: 'http://dir.example' }, /ldap\.url: must be ldap:\/\/host/],
      [{ userFilter: '(uid=someone)' }, /ldap\.userFilter: must contain \{username\}/],
      [{ userFilter: 'uid={username}' }, /ldap\.userFilter: must be an LDAP filter/],
      [{ disabledFilter: `(${'x'.repeat(3000)})` }, /ldap\.disabledFilter/],
      [{ syncIntervalMinutes: -1 }, /ldap\.syncIntervalMinutes/],
      [{ teamLinks: [{ org: 'a', team: 'b' }] }, /exactly one of groupDn and memberFilter/],
      [{ surprise: true }, /ldap/],
      [{ startTls: true, url: slapd.ldapsUrl }, /ldap\.startTls/],
    ];
    for (const [ldap, message] of bad) {
      await expectApiError(
        await api(main.url, 'POST', '/meta/settings', { auth: ADMIN, body: { ldap } }),
        400,
        'INVALID_INPUT',
        message,
      );
    }
    const { ldap } = await apiOk<{ ldap: Record<string, unknown> }>(main.url, 'GET', '/meta/settings', 200, {
      auth: ADMIN,
    });
    expect(ldap).toMatchObject({ url: slapd.url, syncIntervalMinutes: 30, startTls: false });
  });
});

describe('POST /api/v0/meta/settings/ldap/test', () => {
  it('reports the users (all of them, paged), the one asked for, and each team link', async () => {
    const report = await testConnection({
      username: 'user7',
      settings: { teamLinks: [{ org: 'acme', team: 'any', groupDn: groupDn('outer'), nested: true }] },
    });
    expect(report).toMatchObject({ ok: true, users: { count: USERS }, user: { found: true, dn: userDn('user7') } });
    expect(report.users?.firstDns).toHaveLength(5);
    expect(report.teams).toEqual([{ org: 'acme', team: 'any', members: 3, firstDns: expect.any(Array) }]);
  });

  it('changes nothing: no account is created, no unsaved setting is stored', async () => {
    const { accounts } = await apiOk<{ accounts: unknown[] }>(main.url, 'GET', '/accounts', 200, { auth: ADMIN });
    expect(accounts).toHaveLength(2);
    const { ldap } = await apiOk<{ ldap: { teamLinks: unknown[] } }>(main.url, 'GET', '/meta/settings', 200, {
      auth: ADMIN,
    });
    expect(ldap.teamLinks).toEqual([]);
  });

  it('escapes the username: filter syntax finds no one', async () => {
    for (const username of ['*', 'user*', '*)(uid=*', 'user1)(|(uid=*']) {
      expect((await testConnection({ username })).user).toEqual({ username, found: false });
    }
  });

  it('reports a refused service password as an error, not as "no users"', async () => {
    const report = await testConnection({ settings: { bindPassword: 'wrong' } });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/service account .* was refused/);
    expect(report.error).not.toContain('wrong');
  });

  it('works over StartTLS and LDAPS with the CA given, and reports an unverifiable certificate', async () => {
    const tls = { tlsCaPem: slapd.caPem };
    expect(await testConnection({ settings: { ...tls, startTls: true } })).toMatchObject({
      ok: true,
      users: { count: USERS },
    });
    expect(await testConnection({ settings: { ...tls, url: slapd.ldapsUrl } })).toMatchObject({ ok: true });
    const untrusted = await testConnection({ settings: { url: slapd.ldapsUrl } });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.error).toMatch(/certificate/i);
  });

  it('reports a directory that is down, within the connect timeout', async () => {
    await slapd.stop();
    try {
      const report = await testConnection({});
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(/could not/);
    } finally {
      await slapd.start();
    }
  });

  it('is for administrators only', async () => {
    await expectApiError(
      await api(main.url, 'POST', '/meta/settings/ldap/test', { auth: userAuth, body: {} }),
      403,
      'NO_PERMISSION',
      /directory/,
    );
  });
});
