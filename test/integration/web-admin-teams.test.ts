/**
 * Teams on the organization's admin pages: created from the organization's page, then renamed,
 * given members and repository access, and removed on the team's own page; each change is what
 * the API then reports, refusals come back on the form that caused them, and only site
 * administrators may do any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, apiOk, createOrg, createUser } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let admin: WebClient;
const ORG_PAGE = '/admin/organizations/acme';

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob');
  await createOrg(main.url, 'acme');
  await apiOk(main.url, 'POST', '/repositories/acme', 201, { auth: ADMIN, body: { name: 'app' } });
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
});
afterAll(async () => {
  await main.stop();
});

const apiGet = (path: string) => apiOk(main.url, 'GET', path, 200, { auth: ADMIN });

describe('teams on the organization pages', () => {
  it('creates a team from the organization page and opens its page', async () => {
    const created = await admin.submit(ORG_PAGE, `${ORG_PAGE}/teams`, { name: 'devs', description: 'Builders' });
    expect(created.status).toBe(303);
    expect(created.location).toBe(`${ORG_PAGE}/teams/devs`);
    expect(await apiGet('/accounts/acme/teams/devs')).toEqual({ name: 'devs', description: 'Builders' });
    expect(textOf((await admin.get(ORG_PAGE)).html)).toMatch(/devs Builders/);
    const page = await admin.get(`${ORG_PAGE}/teams/devs`);
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toMatch(/No members yet/);
  });

  it('explains a refused creation on the organization page, keeping what was typed', async () => {
    const taken = await admin.submit(ORG_PAGE, `${ORG_PAGE}/teams`, { name: 'devs', description: 'again' });
    expect(taken.status).toBe(409);
    expect(textOf(taken.html)).toContain('Team "devs" already exists in "acme".');
    expect(taken.html).toContain('value="again"');
    const bad = await admin.submit(ORG_PAGE, `${ORG_PAGE}/teams`, { name: 'Not A Name' });
    expect(bad.status).toBe(400);
  });

  it('adds and removes members, and explains an unknown user on the member form', async () => {
    const page = `${ORG_PAGE}/teams/devs`;
    expect((await admin.submit(page, `${page}/members`, { member: 'bob' })).status).toBe(303);
    expect(await apiGet('/accounts/acme/teams/devs/members')).toEqual({ members: [{ name: 'bob' }] });
    expect(textOf((await admin.get(page)).html)).toMatch(/bob Remove/);
    const unknown = await admin.submit(page, `${page}/members`, { member: 'ghost' });
    expect(unknown.status).toBe(400);
    expect(textOf(unknown.html)).toContain('User "ghost" does not exist.');
    expect(unknown.html).toContain('value="ghost"');
    expect((await admin.submit(page, `${page}/members/bob/remove`, {})).status).toBe(303);
    expect(await apiGet('/accounts/acme/teams/devs/members')).toEqual({ members: [] });
  });

  it('grants, changes and revokes repository access', async () => {
    const page = `${ORG_PAGE}/teams/devs`;
    expect((await admin.get(page)).html).toContain('<option value="app"');
    await admin.submit(page, `${page}/access`, { repository: 'app', accessLevel: 'read-write' });
    expect(await apiGet('/accounts/acme/teams/devs/repositoryAccess')).toMatchObject({
      repositoryAccessList: [{ accessLevel: 'read-write', repository: { name: 'app' } }],
    });
    expect(textOf((await admin.get(page)).html)).toMatch(/acme\/app Read and write/);
    const badLevel = await admin.submit(page, `${page}/access`, { repository: 'app', accessLevel: 'owner' });
    expect(badLevel.status).toBe(400);
    const noRepo = await admin.submit(page, `${page}/access`, { repository: 'nope', accessLevel: 'read' });
    expect(noRepo.status).toBe(400);
    expect(textOf(noRepo.html)).toContain('Repository "acme/nope" does not exist.');
    await admin.submit(page, `${page}/access/remove`, { repository: 'app' });
    expect(await apiGet('/accounts/acme/teams/devs/repositoryAccess')).toMatchObject({ repositoryAccessList: [] });
  });

  it('renames the team, keeping its members, and explains a taken name', async () => {
    const page = `${ORG_PAGE}/teams/devs`;
    await admin.submit(page, `${page}/members`, { member: 'bob' });
    await admin.submit(ORG_PAGE, `${ORG_PAGE}/teams`, { name: 'ops' });
    const taken = await admin.submit(page, `${page}/settings`, { name: 'ops', description: 'x' });
    expect(taken.status).toBe(409);
    expect(textOf(taken.html)).toContain('Team "ops" already exists in "acme".');
    const renamed = await admin.submit(page, `${page}/settings`, { name: 'builders', description: '' });
    expect(renamed.location).toBe(`${ORG_PAGE}/teams/builders`);
    expect(await apiGet('/accounts/acme/teams/builders')).toEqual({ name: 'builders' });
    expect(await apiGet('/accounts/acme/teams/builders/members')).toEqual({ members: [{ name: 'bob' }] });
    expect((await admin.get(page)).status).toBe(404);
  });

  it('removes the team; its members stay in the organization', async () => {
    const page = `${ORG_PAGE}/teams/builders`;
    const removed = await admin.submit(page, `${page}/remove`, {});
    expect(removed.location).toBe(ORG_PAGE);
    expect((await admin.get(page)).status).toBe(404);
    expect(await apiGet('/accounts/acme/members')).toEqual({ members: [{ name: 'bob', isAdmin: false }] });
  });

  it('refuses everyone but site administrators, and forms without the CSRF token', async () => {
    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    expect((await bob.get(`${ORG_PAGE}/teams/ops`)).status).toBe(403);
    expect((await bob.submit('/profile', `${ORG_PAGE}/teams`, { name: 'sneaky' })).status).toBe(403);
    expect((await admin.postRaw(`${ORG_PAGE}/teams`, { name: 'no-csrf' })).status).toBe(403);
    const teams = (await apiGet('/accounts/acme/teams')) as { teams: Array<{ name: string }> };
    expect(teams.teams.map((t) => t.name)).toEqual(['ops']);
  });
});
