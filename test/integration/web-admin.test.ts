import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createUser } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let admin: WebClient;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob');
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
});
afterAll(async () => {
  await main.stop();
});

const ADMIN_PAGES = ['/admin', '/admin/users', '/admin/organizations', '/admin/caches', '/admin/settings'];
const apiGet = async (path: string) =>
  (await fetch(`${main.url}/api/v0${path}`, { headers: { Authorization: ADMIN } })).json() as Promise<
    Record<string, unknown>
  >;

describe('who may open the admin pages', () => {
  it('sends anonymous visitors to sign in, and back afterwards', async () => {
    const anonymous = new WebClient(main.url);
    for (const path of ADMIN_PAGES) {
      const res = await anonymous.get(path);
      expect(res.status, path).toBe(302);
      expect(res.location).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
    }
  });

  it('shows users who are not admins the 403 page, for pages and forms alike', async () => {
    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    for (const path of ADMIN_PAGES) {
      const res = await bob.get(path);
      expect(res.status, path).toBe(403);
      expect(textOf(res.html)).toContain('Administrators only');
    }
    const post = await bob.submit('/profile', '/admin/users', { name: 'sneaky', password: PASSWORD, isAdmin: 'on' });
    expect(post.status).toBe(403);
    expect((await fetch(`${main.url}/api/v0/accounts/sneaky`, { headers: { Authorization: ADMIN } })).status).toBe(404);
  });

  it('opens every admin page for an admin', async () => {
    for (const path of ADMIN_PAGES.slice(1)) expect((await admin.get(path)).status, path).toBe(200);
    expect((await admin.get('/admin')).location).toBe('/admin/users');
  });
});

describe('/admin/users', () => {
  it('lists the users with their role and status', async () => {
    const text = textOf((await admin.get('/admin/users')).html);
    expect(text).toMatch(/admin admin active/);
    expect(text).toMatch(/bob user active/);
  });

  it('creates a user who can then pull with docker login credentials', async () => {
    const res = await admin.submit('/admin/users', '/admin/users', {
      name: 'dave',
      fullName: 'Dave D',
      password: PASSWORD,
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/admin/users');
    const page = textOf((await admin.get('/admin/users')).html);
    expect(page).toContain('User dave created.');
    expect(page).toContain('Dave D');
    expect((await fetch(`${main.url}/v2/`, { headers: { Authorization: basicAuth('dave', PASSWORD) } })).status).toBe(
      200,
    );
  });

  it('explains refusals on the form and keeps what was typed', async () => {
    const taken = await admin.submit('/admin/users', '/admin/users', {
      name: 'bob',
      fullName: 'Another Bob',
      password: PASSWORD,
    });
    expect(taken.status).toBe(409);
    expect(textOf(taken.html)).toContain('An account named "bob" already exists.');
    expect(taken.html).toContain('value="Another Bob"');
    const badName = await admin.submit('/admin/users', '/admin/users', { name: 'Not A Name', password: PASSWORD });
    expect(badName.status).toBe(400);
    expect(textOf(badName.html)).toMatch(/User name must be lowercase/);
    const shortPassword = await admin.submit('/admin/users', '/admin/users', { name: 'erin', password: 'short' });
    expect(shortPassword.status).toBe(400);
    expect(textOf(shortPassword.html)).toContain('Password must be at least 8 characters.');
  });

  it('deactivates and reactivates a user (who cannot sign in meanwhile)', async () => {
    await createUser(main.url, 'frank');
    const off = await admin.submit('/admin/users', '/admin/users/frank/active', { value: 'false' });
    expect(off.status).toBe(303);
    expect(await apiGet('/accounts/frank')).toMatchObject({ isActive: false });
    expect(textOf((await admin.get('/admin/users')).html)).toMatch(/frank is deactivated/);
    const refused = await new WebClient(main.url).submit('/sign-in', '/sign-in', {
      username: 'frank',
      password: PASSWORD,
    });
    expect(refused.status).toBe(400);
    await admin.submit('/admin/users', '/admin/users/frank/active', { value: 'true' });
    expect(await apiGet('/accounts/frank')).toMatchObject({ isActive: true });
  });

  it('makes a user an admin and takes it back', async () => {
    await createUser(main.url, 'grace');
    await admin.submit('/admin/users', '/admin/users/grace/admin', { value: 'true' });
    expect(await apiGet('/accounts/grace')).toMatchObject({ isAdmin: true });
    const grace = new WebClient(main.url);
    await grace.signIn('grace', PASSWORD);
    expect((await grace.get('/admin/users')).status).toBe(200);
    await admin.submit('/admin/users', '/admin/users/grace/admin', { value: 'false' });
    expect(await apiGet('/accounts/grace')).toMatchObject({ isAdmin: false });
    expect((await grace.get('/admin/users')).status).toBe(403);
  });

  it('refuses to leave the registry without an active admin, with a message', async () => {
    const res = await admin.submit('/admin/users', '/admin/users/admin/active', { value: 'false' });
    expect(res.status).toBe(303);
    expect(textOf((await admin.get('/admin/users')).html)).toMatch(/"admin" is the last active administrator/);
    expect(await apiGet('/accounts/admin')).toMatchObject({ isActive: true });
  });

  it('answers an unknown user with a message, not a crash', async () => {
    const res = await admin.submit('/admin/users', '/admin/users/nobody/admin', { value: 'true' });
    expect(res.status).toBe(303);
    expect(textOf((await admin.get('/admin/users')).html)).toMatch(/"nobody" does not exist/);
  });
});

describe('/admin/organizations', () => {
  it('creates an organization and manages its members', async () => {
    const created = await admin.submit('/admin/organizations', '/admin/organizations', {
      name: 'acme',
      fullName: 'Acme Corp',
    });
    expect(created.status).toBe(303);
    expect(created.location).toBe('/admin/organizations/acme');
    expect(textOf((await admin.get('/admin/organizations')).html)).toMatch(/acme Acme Corp 0/);

    const added = await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/members', {
      member: 'bob',
    });
    expect(added.status).toBe(303);
    expect(textOf((await admin.get('/admin/organizations/acme')).html)).toMatch(/bob member/);
    expect(await apiGet('/accounts/acme/members')).toEqual({ members: [{ name: 'bob', isAdmin: false }] });

    await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/members/bob/role', { isAdmin: 'true' });
    expect(await apiGet('/accounts/acme/members')).toEqual({ members: [{ name: 'bob', isAdmin: true }] });
    expect(textOf((await admin.get('/admin/organizations/acme')).html)).toMatch(/bob organization admin/);

    await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/members/bob/remove', {});
    expect(await apiGet('/accounts/acme/members')).toEqual({ members: [] });
  });

  it('explains refusals: a taken name, an unknown user', async () => {
    const taken = await admin.submit('/admin/organizations', '/admin/organizations', { name: 'bob' });
    expect(taken.status).toBe(409);
    expect(textOf(taken.html)).toContain('An account named "bob" already exists.');
    const unknown = await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/members', {
      member: 'ghost',
    });
    expect(unknown.status).toBe(400);
    expect(textOf(unknown.html)).toContain('User "ghost" does not exist.');
    expect(unknown.html).toContain('value="ghost"');
  });

  it('shows the 404 page for an organization that does not exist', async () => {
    const res = await admin.get('/admin/organizations/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('/admin/settings', () => {
  it('shows and saves createRepositoryOnPush and anonymousPull', async () => {
    const page = await admin.get('/admin/settings');
    expect(page.html).toMatch(/name="createRepositoryOnPush" value="on" checked/);
    expect(page.html).toMatch(/name="anonymousPull" value="on" checked/);
    // Unticking both: browsers send no field for an unticked box.
    const saved = await admin.submit('/admin/settings', '/admin/settings', {});
    expect(saved.status).toBe(303);
    expect(await apiGet('/meta/settings')).toMatchObject({ createRepositoryOnPush: false, anonymousPull: false });
    const after = await admin.get('/admin/settings');
    expect(textOf(after.html)).toContain('Registry settings saved.');
    expect(after.html).not.toMatch(/name="anonymousPull" value="on" checked/);
    await admin.submit('/admin/settings', '/admin/settings', { createRepositoryOnPush: 'on', anonymousPull: 'on' });
    expect(await apiGet('/meta/settings')).toMatchObject({ createRepositoryOnPush: true, anonymousPull: true });
  });
});
