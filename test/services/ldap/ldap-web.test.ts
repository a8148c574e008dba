/**
 * The Directory section of the admin settings page (`/admin/settings`, `/admin/settings/ldap`,
 * `/admin/settings/ldap/test`) against a real OpenLDAP: saved through the form, the bind password never
 * shown, refusals explained on the page, and the connection test's report under the form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, apiOk } from '../../helpers/api-client.js';
import { startTestMain, type TestMain } from '../../helpers/servers.js';
import { groupDn, PEOPLE_DN, SERVICE_DN, startSlapd, userDn, type TestSlapd } from '../../helpers/slapd.js';
import { textOf, WebClient } from '../../helpers/web-client.js';

let slapd: TestSlapd;
let main: TestMain;
let admin: WebClient;

beforeAll(async () => {
  slapd = await startSlapd({
    users: [{ uid: 'wendy', password: 'wendy-password', cn: 'Wendy Web' }],
    groups: [{ cn: 'webteam', members: [userDn('wendy')] }],
  });
  main = await startTestMain({ auth: true });
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
}, 60_000);

afterAll(async () => {
  await main?.stop();
  await slapd?.remove();
});

const form = (overrides: Record<string, string> = {}) => ({
  enabled: 'on',
  url: slapd.url,
  bindDn: SERVICE_DN,
  bindPassword: slapd.servicePassword,
  userSearchBase: PEOPLE_DN,
  userFilter: '(uid={username})',
  userDnTemplate: '',
  usernameAttribute: 'uid',
  emailAttribute: 'mail',
  fullNameAttribute: 'cn',
  disabledFilter: '',
  tlsCaPem: '',
  syncIntervalMinutes: '15',
  teamLinks: `acme/web | ${groupDn('webteam')} | nested`,
  ...overrides,
});

describe('admin settings page: Directory', () => {
  it('saves the directory settings from the form, team links included', async () => {
    const res = await admin.submit('/admin/settings', '/admin/settings/ldap', form());
    expect(res.status, textOf(res.html).slice(0, 300)).toBe(303);
    const { ldap } = await apiOk<{ ldap: Record<string, unknown> }>(main.url, 'GET', '/meta/settings', 200, {
      auth: ADMIN,
    });
    expect(ldap).toMatchObject({
      enabled: true,
      url: slapd.url,
      syncIntervalMinutes: 15,
      bindPasswordSet: true,
      teamLinks: [{ org: 'acme', team: 'web', groupDn: groupDn('webteam'), nested: true }],
    });
  });

  it('shows the settings without the bind password, and keeps it when the field is left empty', async () => {
    const page = await admin.get('/admin/settings');
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('Directory (LDAP / Active Directory)');
    expect(textOf(page.html)).toContain('A password is set; leave empty to keep it.');
    expect(page.html).not.toContain(slapd.servicePassword);
    expect(page.html).toContain(`acme/web | ${groupDn('webteam')} | nested`);
    expect((await admin.submit('/admin/settings', '/admin/settings/ldap', form({ bindPassword: '' }))).status).toBe(
      303,
    );
    const test = await admin.submit('/admin/settings', '/admin/settings/ldap/test', {});
    expect(textOf(test.html)).toContain('Connected and searched: 1 users found.');
  });

  it('explains a refused value on the page, with 400, and saves nothing', async () => {
    const res = await admin.submit(
      '/admin/settings',
      '/admin/settings/ldap',
      form({ url: 'http://nope', syncIntervalMinutes: '99' }),
    );
    expect(res.status).toBe(400);
    expect(textOf(res.html)).toMatch(/ldap\.url: must be ldap:\/\/host/i);
    const { ldap } = await apiOk<{ ldap: Record<string, unknown> }>(main.url, 'GET', '/meta/settings', 200, {
      auth: ADMIN,
    });
    expect(ldap).toMatchObject({ url: slapd.url, syncIntervalMinutes: 15 });
  });

  it('tests the connection and shows what it found for a username', async () => {
    const res = await admin.submit('/admin/settings', '/admin/settings/ldap/test', { username: 'wendy' });
    expect(res.status).toBe(200);
    const text = textOf(res.html);
    expect(text).toContain(`User wendy: found, ${userDn('wendy')}`);
    expect(text).toContain('Team acme/web: 1 members.');
  });

  it('shows a directory that cannot be reached as the test result', async () => {
    await slapd.stop();
    try {
      const res = await admin.submit('/admin/settings', '/admin/settings/ldap/test', {});
      expect(textOf(res.html)).toMatch(/The directory could not be reached|could not be searched/);
    } finally {
      await slapd.start();
    }
  });

  it('is not shown to other users (the admin pages answer 403)', async () => {
    expect((await new WebClient(main.url).get('/admin/settings')).status).not.toBe(200);
  });
});
