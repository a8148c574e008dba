/**
 * The jobs pages (/admin/jobs): admins only; start a job from the form and read its page and
 * log; filters; a job under way reloads its page and can be cancelled with the CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, PASSWORD, apiOk, createUser } from '../helpers/api-client.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import { waitFor } from '../helpers/wait-for.js';

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

const jobState = async (id: string) =>
  (await apiOk<{ state: string }>(main.url, 'GET', `/jobs/${id}`, 200, { auth: ADMIN })).state;

describe('/admin/jobs', () => {
  it('sends anonymous visitors to sign in and shows other users the 403 page', async () => {
    const anonymous = new WebClient(main.url);
    expect((await anonymous.get('/admin/jobs')).location).toBe('/sign-in?next=%2Fadmin%2Fjobs');
    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    for (const path of ['/admin/jobs', '/admin/jobs/00000000000000000000']) {
      const res = await bob.get(path);
      expect(res.status, path).toBe(403);
      expect(textOf(res.html)).toContain('Administrators only');
    }
    const post = await bob.submit('/profile', '/admin/jobs', { kind: 'gc' });
    expect(post.status).toBe(403);
    expect(await apiOk(main.url, 'GET', '/jobs', 200, { auth: ADMIN })).toEqual({ jobs: [] });
  });

  it('starts a job from the form and shows its outcome and log', async () => {
    const started = await admin.submit('/admin/jobs', '/admin/jobs', { kind: 'purge-uploads' });
    expect(started.status).toBe(303);
    const id = /^\/admin\/jobs\/([0-9a-f]{20})$/.exec(started.location ?? '')?.[1];
    expect(id, started.location ?? '').toBeDefined();
    await waitFor(async () => (await jobState(id!)) === 'done', 'the job to end');
    const page = await admin.get(`/admin/jobs/${id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('refresh')).toBeNull();
    const text = textOf(page.html);
    expect(text).toContain('purge-uploads job');
    expect(text).toMatch(/State done/);
    expect(text).toMatch(/Started by admin/);
    expect(text).toMatch(/removed 0 upload sessions idle for more than \d+ ms/);
    expect(text).not.toContain('Cancel job');

    const list = await admin.get('/admin/jobs?kind=purge-uploads&state=done');
    expect(textOf(list.html)).toContain(id);
    expect(textOf((await admin.get('/admin/jobs?state=failed')).html)).toContain('No jobs');
  });

  it('answers 404 for an unknown job and 400 for a kind admins cannot start', async () => {
    expect((await admin.get('/admin/jobs/ffffffffffffffffffff')).status).toBe(404);
    expect((await admin.get('/admin/jobs/nope')).status).toBe(404);
    const refused = await admin.submit('/admin/jobs', '/admin/jobs', { kind: 'mine-bitcoin' });
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain('Unknown job kind "mine-bitcoin"');
  });

  it('reloads the page of a waiting job, and cancels it with the CSRF token only', async () => {
    // No runner from here on: the job stays waiting.
    await main.service.jobs.runner.stop();
    const started = await admin.submit('/admin/jobs', '/admin/jobs', { kind: 'gc' });
    const path = started.location!;
    const page = await admin.get(path);
    expect(page.headers.get('refresh')).toBe('3');
    expect(textOf(page.html)).toContain('Cancel job');
    expect((await admin.get('/admin/jobs')).headers.get('refresh')).toBe('3');

    expect((await admin.postRaw(`${path}/cancel`, {})).status).toBe(403);
    expect(await jobState(path.split('/').at(-1)!)).toBe('waiting');
    const cancelled = await admin.submit(path, `${path}/cancel`, {});
    expect(cancelled.status).toBe(303);
    expect(await jobState(path.split('/').at(-1)!)).toBe('cancelled');
    expect(textOf((await admin.get(path)).html)).toMatch(/State cancelled/);
  });
});
