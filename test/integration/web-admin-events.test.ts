/**
 * /admin/events: the audit log on the admin pages (issue 14, "Logs"), for administrators only,
 * newest first, with filters by type, actor and time, and an admin's change through the pages
 * recorded like one through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUser } from '../helpers/api-client.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let admin: WebClient;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob');
  // A failed sign-in by bob, and an admin's change through the pages.
  expect((await fetch(`${main.url}/v2/`, { headers: { Authorization: basicAuth('bob', 'not-his') } })).status).toBe(
    401,
  );
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
  const saved = await admin.submit('/admin/settings', '/admin/settings', { createRepositoryOnPush: 'on' });
  expect(saved.status).toBe(303);
});
afterAll(async () => {
  await main?.stop();
});

describe('/admin/events', () => {
  it('sends anonymous visitors to sign in, and shows other users the 403 page', async () => {
    expect((await new WebClient(main.url).get('/admin/events')).status).toBe(302);
    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    const res = await bob.get('/admin/events');
    expect(res.status).toBe(403);
    expect(textOf(res.html)).toContain('Administrators only');
  });

  it('lists the events newest first: the settings change, the sign-ins, the failed one', async () => {
    const res = await admin.get('/admin/events');
    expect(res.status).toBe(200);
    const text = textOf(res.html);
    expect(text).toMatch(/admin\.settings admin \/admin\/settings success/);
    expect(text).toMatch(/auth\.sign-in bob bob failure/);
    expect(text.indexOf('admin.settings')).toBeLessThan(text.indexOf('auth.sign-in bob bob failure'));
    expect(text).not.toContain('not-his');
  });

  it('filters by type and actor, keeping the filters in the form', async () => {
    const res = await admin.get('/admin/events?type=auth.sign-in&actor=bob');
    const text = textOf(res.html);
    expect(text).toMatch(/auth\.sign-in bob bob failure/);
    expect(text).not.toContain('admin.settings');
    expect(res.html).toContain('value="auth.sign-in"');
    const none = textOf((await admin.get('/admin/events?actor=nobody')).html);
    expect(none).toContain('No events match');
  });

  it('answers a bad time filter with the 400 page, not a 500', async () => {
    expect((await admin.get('/admin/events?since=yesterday')).status).toBe(400);
  });
});
