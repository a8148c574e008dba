/**
 * The audit log through `GET /api/v0/events` (issue 14, "Logs"): the security events main
 * records (a failed sign-in, a refused push, an administrator's change, a refused join token),
 * the endpoint's refusals (anonymous 401, non-admin 403, bad filters 400), and its filters
 * (type, actor, since, limit with a cursor).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, PASSWORD, api, apiOk, createUser, expectApiError } from '../helpers/api-client.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';

interface Event {
  id: string;
  time: string;
  type: string;
  actor: string;
  target: string;
  outcome: 'success' | 'failure';
  detail: Record<string, unknown>;
}
interface Page {
  events: Event[];
  nextCursor?: string;
}

let main: TestMain;
let base: string;
let bob: string;
const started = new Date().toISOString();
const events = (query = '') => apiOk<Page>(base, 'GET', `/events${query}`, 200, { auth: ADMIN });

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  bob = await createUser(base, 'bob');
});
afterAll(async () => {
  await main?.stop();
});

describe('the events main records', () => {
  it('records a failed sign-in, with the account and address, never the password', async () => {
    expect(
      (await fetch(`${base}/v2/`, { headers: { Authorization: basicAuth('bob', 'wrong-password') } })).status,
    ).toBe(401);
    const page = await events('?type=auth.sign-in&actor=bob');
    expect(page.events[0]).toMatchObject({
      type: 'auth.sign-in',
      actor: 'bob',
      target: 'bob',
      outcome: 'failure',
      detail: { address: expect.any(String) },
    });
    expect(JSON.stringify(page)).not.toContain('wrong-password');
  });

  it('records throttling: the fourth failure in a row for one name is delayed, and says so', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/v2/`, { headers: { Authorization: basicAuth('carl', `guess-${i}`) } });
      expect(res.status).toBe(401);
    }
    const page = await events('?type=auth.throttled&actor=carl');
    expect(page.events).toEqual([
      expect.objectContaining({ outcome: 'failure', detail: expect.objectContaining({ decision: 'delayed' }) }),
    ]);
  });

  it('records a push refused with 403, naming the repository and the action', async () => {
    const res = await fetch(`${base}/v2/admin/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: bob } });
    expect(res.status).toBe(403);
    const page = await events('?type=registry.refused');
    expect(page.events[0]).toMatchObject({
      actor: 'bob',
      target: 'admin/app',
      outcome: 'failure',
      detail: { action: 'push', status: 403, method: 'POST', route: '/v2/{name}/blobs/uploads' },
    });
  });

  it("records an administrator's change, and a non-admin's refused attempt at one", async () => {
    await createUser(base, 'erin');
    const refused = await api(base, 'POST', '/accounts', {
      auth: bob,
      body: { type: 'user', name: 'mallory', password: PASSWORD },
    });
    expect(refused.status).toBe(403);
    const page = await events('?type=admin.users&limit=2');
    expect(page.events.map((e) => [e.actor, e.target, e.outcome, e.detail.status])).toEqual([
      ['bob', '/api/v0/accounts', 'failure', 403],
      ['admin', '/api/v0/accounts', 'success', 201],
    ]);
  });

  it('records a refused join token', async () => {
    const res = await api(base, 'POST', '/content_caches/join', {
      body: { token: 'not-a-join-token', name: 'sg', host: 'http://127.0.0.1:9' },
    });
    expect(res.status).toBe(401);
    const page = await events('?type=cache.join-refused');
    expect(page.events[0]).toMatchObject({ actor: 'edge', outcome: 'failure', detail: { status: 401 } });
    expect(JSON.stringify(page)).not.toContain('not-a-join-token');
  });
});

describe('GET /api/v0/events', () => {
  it('answers 401 without credentials and 403 NO_PERMISSION to a user who is not an administrator', async () => {
    await expectApiError(await api(base, 'GET', '/events'), 401, 'UNAUTHORIZED', /./);
    await expectApiError(await api(base, 'GET', '/events', { auth: bob }), 403, 'NO_PERMISSION', /administrators/);
  });

  it('answers 400 INVALID_INPUT for a bad limit, time or cursor', async () => {
    for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?since=yesterday', '?cursor=../../etc'])
      await expectApiError(await api(base, 'GET', `/events${query}`, { auth: ADMIN }), 400, 'INVALID_INPUT', /./);
  });

  it('lists newest first and pages with nextCursor, without overlap', async () => {
    const all = (await events('?limit=500')).events;
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect([...all].sort((a, b) => (a.id < b.id ? 1 : -1))).toEqual(all);
    const first = await events('?limit=2');
    expect(first.events).toEqual(all.slice(0, 2));
    const second = await events(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.events).toEqual(all.slice(2, 4));
  });

  it('filters by actor and by time', async () => {
    const byBob = (await events('?actor=bob')).events;
    expect(byBob.length).toBeGreaterThan(0);
    expect(byBob.every((e) => e.actor === 'bob')).toBe(true);
    expect((await events(`?since=${encodeURIComponent(started)}`)).events.length).toBeGreaterThan(0);
    expect((await events(`?since=${Date.now() + 3_600_000}`)).events).toEqual([]);
  });
});
