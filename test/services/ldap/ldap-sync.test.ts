/**
 * The directory sync (job kind "ldap-sync", run here through the kind's own `run`, as the job runner will)
 * against a real OpenLDAP: accounts created and deactivated, team membership from linked groups, nested
 * groups expanded by outpost (OpenLDAP has no matching rule in chain), a member filter, and counts in the
 * summary.
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../../main/jobs/types.js';
import { ADMIN, apiOk, createOrg, createUser } from '../../helpers/api-client.js';
import { startTestMain, type TestMain } from '../../helpers/servers.js';
import { groupDn, outpostLdapSettings, startSlapd, userDn, type TestSlapd } from '../../helpers/slapd.js';

let slapd: TestSlapd;
let main: TestMain;

function context(): JobContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    id: 'test',
    params: {},
    signal: new AbortController().signal,
    progress() {},
    log: (l) => lines.push(l),
    lines,
  };
}
const sync = () => main.service.ldapSync.run(context());
const members = async (team: string) =>
  (
    await apiOk<{ members: { name: string }[] }>(main.url, 'GET', `/accounts/acme/teams/${team}/members`, 200, {
      auth: ADMIN,
    })
  ).members
    .map((m) => m.name)
    .sort();
const account = (name: string) =>
  apiOk<Record<string, unknown>>(main.url, 'GET', `/accounts/${name}`, 200, { auth: ADMIN });

beforeAll(async () => {
  const users = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((uid) => ({
    uid,
    password: `${uid}-password`,
    cn: `${uid} Directory`,
  }));
  slapd = await startSlapd({
    users: [...users, { uid: 'gus', password: 'gus-password', attributes: { employeeType: 'disabled' } }],
    groups: [
      { cn: 'devs', members: [userDn('ann'), userDn('ben'), groupDn('frontend')] },
      // Nested twice, and a cycle back to devs: expanded once, without looping.
      { cn: 'frontend', members: [userDn('cat'), groupDn('designers')] },
      { cn: 'designers', members: [userDn('dan'), groupDn('devs')] },
      { cn: 'ops', members: [userDn('eve')] },
    ],
  });
  main = await startTestMain({ auth: true });
  await createOrg(main.url, 'acme');
  for (const team of ['devs', 'devsdirect', 'ops', 'named'])
    await apiOk(main.url, 'POST', '/accounts/acme/teams', 201, { auth: ADMIN, body: { name: team } });
  // A local account in a linked team: the directory decides that team's members.
  await createUser(main.url, 'local');
  await apiOk(main.url, 'PUT', '/accounts/acme/members/local', 200, { auth: ADMIN, body: { isAdmin: false } });
  await apiOk(main.url, 'PUT', '/accounts/acme/teams/ops/members/local', 200, { auth: ADMIN, body: {} });
  const teamLinks = [
    { org: 'acme', team: 'devs', groupDn: groupDn('devs'), nested: true },
    { org: 'acme', team: 'devsdirect', groupDn: groupDn('devs'), nested: false },
    { org: 'acme', team: 'ops', groupDn: groupDn('ops'), nested: false },
    { org: 'acme', team: 'named', memberFilter: '(|(uid=fay)(uid=ann))', nested: false },
  ];
  await apiOk(main.url, 'POST', '/meta/settings', 200, {
    auth: ADMIN,
    body: { ldap: outpostLdapSettings(slapd, { teamLinks }) },
  });
}, 60_000);

afterAll(async () => {
  await main?.stop();
  await slapd?.remove();
});

describe('ldap-sync', () => {
  it('creates the directory users (disabled ones inactive) and sets linked teams, nested groups expanded', async () => {
    const summary = await sync();
    expect(summary).toMatchObject({
      enabled: true,
      directoryUsers: 7,
      created: 7,
      deactivated: 0,
      teams: 4,
      teamErrors: [],
    });
    expect(await account('ann')).toMatchObject({ isActive: true, fromDirectory: true, fullName: 'ann Directory' });
    expect(await account('gus')).toMatchObject({ isActive: false, fromDirectory: true });
    expect(await members('devs')).toEqual(['ann', 'ben', 'cat', 'dan']);
    expect(await members('devsdirect')).toEqual(['ann', 'ben']);
    expect(await members('ops')).toEqual(['eve']);
    expect(await members('named')).toEqual(['ann', 'fay']);
  });

  it('is idempotent: a second run changes nothing', async () => {
    expect(await sync()).toMatchObject({
      created: 0,
      activated: 0,
      deactivated: 0,
      membersAdded: 0,
      membersRemoved: 0,
    });
  });

  it('deactivates a user removed from the directory, and follows group changes', async () => {
    const admin = await slapd.admin();
    try {
      await admin.del(userDn('ben'));
      await admin.modify(
        groupDn('devs'),
        new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [userDn('ben')] }) }),
      );
      await admin.modify(
        groupDn('ops'),
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [userDn('fay')] }) }),
      );
      await admin.modify(
        userDn('ann'),
        new Change({ operation: 'add', modification: new Attribute({ type: 'employeeType', values: ['disabled'] }) }),
      );
    } finally {
      await admin.unbind();
    }
    const summary = await sync();
    expect(summary).toMatchObject({ directoryUsers: 6, deactivated: 2, membersAdded: 1 });
    expect(await account('ben')).toMatchObject({ isActive: false });
    expect(await account('ann')).toMatchObject({ isActive: false });
    expect(await members('devs')).toEqual(['ann', 'cat', 'dan']);
    expect(await members('ops')).toEqual(['eve', 'fay']);
  });

  it('never changes a local account, and reports a link to a team that does not exist', async () => {
    expect(await account('local')).toMatchObject({ isActive: true });
    await apiOk(main.url, 'POST', '/meta/settings', 200, {
      auth: ADMIN,
      body: { ldap: { teamLinks: [{ org: 'acme', team: 'ghosts', groupDn: groupDn('ops') }] } },
    });
    const summary = await sync();
    expect(summary.teamErrors).toEqual(['acme/ghosts']);
    expect(await account('local')).toMatchObject({ isActive: true });
  });

  it('refuses parameters', () => {
    expect(() => main.service.ldapSync.parseParams({ all: true })).toThrow(/no parameters/);
    expect(main.service.ldapSync.parseParams(undefined)).toEqual({});
  });
});
