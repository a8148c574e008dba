/**
 * `/api/v0/jobs` and `/api/v0/crons` on a real main (token auth on, LMDB): who may call them,
 * what they refuse, and the `gc` job end to end (push, delete, collect, the blob is gone).
 * Main's clock is injected: the GC grace period and schedules pass by moving it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, api, apiOk, createUser, expectApiError, pushImageAs } from '../helpers/api-client.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

interface JobView {
  id: string;
  kind: string;
  state: string;
  startedBy: string;
  summary?: Record<string, unknown>;
  progress: { done: number; total?: number };
}

const HOUR = 3_600_000;
let clock = Date.parse('2031-01-01T00:00:00Z');
let main: TestMain;
let base: string;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true, now: () => clock });
  base = main.url;
  bob = await createUser(base, 'bob');
});
afterAll(async () => {
  await main.stop();
});

const startJob = (body: unknown) => apiOk<JobView>(base, 'POST', '/jobs', 202, { auth: ADMIN, body });
const ended = (id: string) =>
  waitFor(async () => {
    const job = await apiOk<JobView>(base, 'GET', `/jobs/${id}`, 200, { auth: ADMIN });
    return ['done', 'failed', 'cancelled'].includes(job.state) && job;
  }, `job ${id} to end`);

describe('who may use /api/v0/jobs and /api/v0/crons', () => {
  const calls: [string, string, unknown?][] = [
    ['GET', '/jobs'],
    ['POST', '/jobs', { kind: 'gc' }],
    ['GET', '/jobs/00000000000000000000'],
    ['GET', '/jobs/00000000000000000000/logs'],
    ['DELETE', '/jobs/00000000000000000000'],
    ['GET', '/crons'],
    ['PUT', '/crons/nightly', { kind: 'gc', schedule: '0 3 * * *' }],
    ['DELETE', '/crons/nightly'],
  ];

  it('answers 401 to anonymous callers', async () => {
    for (const [method, path, body] of calls)
      await expectApiError(await api(base, method, path, { body }), 401, 'UNAUTHORIZED', /sign in/);
  });

  it('answers 403 to users who are not administrators', async () => {
    for (const [method, path, body] of calls)
      await expectApiError(await api(base, method, path, { auth: bob, body }), 403, 'NO_PERMISSION', /administrators/);
    expect(await apiOk(base, 'GET', '/crons', 200, { auth: ADMIN })).toEqual({ crons: [] });
  });
});

describe('POST /api/v0/jobs refusals', () => {
  it('answers 400 for an unknown kind, bad parameters and bad bodies', async () => {
    const refuse = async (body: unknown, message: RegExp) =>
      expectApiError(await api(base, 'POST', '/jobs', { auth: ADMIN, body }), 400, 'INVALID_INPUT', message);
    await refuse({ kind: 'mine-bitcoin' }, /unknown job kind "mine-bitcoin"/);
    await refuse({ kind: 'gc', params: { dryRun: 'yes' } }, /params: dryRun/);
    await refuse({ kind: 'gc', params: { sneaky: 1 } }, /params: .*sneaky/);
    await refuse({ kind: 'gc', extra: 1 }, /extra/);
    await refuse({}, /kind/);
  });

  it('answers 413 to a body over the limit and 404 to ids that are not job ids', async () => {
    const huge = { kind: 'gc', params: { pad: 'x'.repeat(70_000) } };
    await expectApiError(await api(base, 'POST', '/jobs', { auth: ADMIN, body: huge }), 413, 'TOO_LARGE', /./);
    await expectApiError(
      await api(base, 'GET', '/jobs/..%2F..%2Fetc', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /no such job/,
    );
    await expectApiError(
      await api(base, 'GET', '/jobs/ffffffffffffffffffff', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /no such job/,
    );
    await expectApiError(
      await api(base, 'GET', '/jobs?state=sleeping', { auth: ADMIN }),
      400,
      'INVALID_INPUT',
      /state/,
    );
    await expectApiError(await api(base, 'GET', '/jobs?limit=1000', { auth: ADMIN }), 400, 'INVALID_INPUT', /limit/);
  });
});

describe('the gc job', () => {
  it('reclaims the blobs of a deleted image; a dry run before removes nothing', async () => {
    const layer = randomBlob(4096);
    const manifest = await pushImageAs(base, ADMIN, 'admin/gc-me', 'v1', [layer]);
    const deleted = await fetch(`${base}/v2/admin/gc-me/manifests/${manifest.digest}`, {
      method: 'DELETE',
      headers: { Authorization: ADMIN },
    });
    expect(deleted.status).toBe(202);
    clock += 2 * HOUR;
    const layerStatus = async () =>
      (
        await fetch(`${base}/v2/admin/gc-me/blobs/${layer.digest}`, {
          method: 'HEAD',
          headers: { Authorization: ADMIN },
        })
      ).status;

    const dry = await ended((await startJob({ kind: 'gc', params: { dryRun: true } })).id);
    expect(dry).toMatchObject({ state: 'done', startedBy: 'admin', summary: { dryRun: true } });
    expect(dry.summary?.removed).toBeGreaterThanOrEqual(1);
    expect(await layerStatus()).toBe(200);

    const real = await ended((await startJob({ kind: 'gc' })).id);
    expect(real).toMatchObject({ state: 'done', summary: { dryRun: false, removed: dry.summary?.removed } });
    expect(real.progress.done).toBe(real.progress.total);
    expect(await layerStatus()).toBe(404);
    const log = await apiOk<{ lines: string[]; offset: number; next: number }>(
      base,
      'GET',
      `/jobs/${real.id}/logs`,
      200,
      {
        auth: ADMIN,
      },
    );
    expect(log.offset).toBe(0);
    expect(log.lines.at(-1)).toMatch(/^scanned \d+ blobs, removed \d+ \(\d+ bytes\)$/);
    expect(log.next).toBe(log.lines.length);
    expect(await apiOk(base, 'GET', `/jobs/${real.id}/logs?offset=${log.next}`, 200, { auth: ADMIN })).toEqual({
      offset: log.next,
      lines: [],
      next: log.next,
    });
    await expectApiError(await api(base, 'DELETE', `/jobs/${real.id}`, { auth: ADMIN }), 409, 'CONFLICT', /ended/);
  });
});

describe('GET /api/v0/jobs', () => {
  it('lists newest first, filters by kind and state, and pages with the cursor', async () => {
    for (let i = 0; i < 3; i++) await ended((await startJob({ kind: 'purge-uploads' })).id);
    const all = await apiOk<{ jobs: JobView[]; next?: string }>(
      base,
      'GET',
      '/jobs?kind=purge-uploads&state=done',
      200,
      {
        auth: ADMIN,
      },
    );
    expect(all.jobs).toHaveLength(3);
    expect(all.next).toBeUndefined();
    const ids = all.jobs.map((j) => j.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const page1 = await apiOk<{ jobs: JobView[]; next?: string }>(
      base,
      'GET',
      '/jobs?kind=purge-uploads&limit=2',
      200,
      {
        auth: ADMIN,
      },
    );
    expect(page1.jobs.map((j) => j.id)).toEqual(ids.slice(0, 2));
    const page2 = await apiOk<{ jobs: JobView[] }>(
      base,
      'GET',
      `/jobs?kind=purge-uploads&limit=2&cursor=${page1.next}`,
      200,
      {
        auth: ADMIN,
      },
    );
    expect(page2.jobs.map((j) => j.id)).toEqual(ids.slice(2));
  });
});

describe('/api/v0/crons', () => {
  it('stores a schedule that starts its job when due, once, and deletes it', async () => {
    clock = Date.parse('2031-02-01T02:59:00Z');
    const put = await apiOk(base, 'PUT', '/crons/gc-nightly', 200, {
      auth: ADMIN,
      body: { kind: 'gc', params: { dryRun: true }, schedule: '0 3 * * *' },
    });
    expect(put).toMatchObject({ name: 'gc-nightly', kind: 'gc', schedule: '0 3 * * *', params: { dryRun: true } });
    expect(await apiOk(base, 'GET', '/crons/gc-nightly', 200, { auth: ADMIN })).toEqual(put);
    expect(await main.service.jobs.scheduler.check()).toEqual([]);
    clock = Date.parse('2031-02-01T03:00:05Z');
    expect(await main.service.jobs.scheduler.check()).toEqual(['gc-nightly']);
    expect(await main.service.jobs.scheduler.check()).toEqual([]);
    const { jobs } = await apiOk<{ jobs: JobView[] }>(base, 'GET', '/jobs?kind=gc&limit=1', 200, { auth: ADMIN });
    expect(jobs[0]).toMatchObject({ startedBy: 'schedule:gc-nightly' });
    await ended(jobs[0]!.id);

    await apiOk(base, 'DELETE', '/crons/gc-nightly', 204, { auth: ADMIN });
    await expectApiError(await api(base, 'GET', '/crons/gc-nightly', { auth: ADMIN }), 404, 'NOT_FOUND', /schedule/);
  });

  it('answers 400 to a bad schedule, kind or name', async () => {
    const put = (name: string, body: unknown) => api(base, 'PUT', `/crons/${name}`, { auth: ADMIN, body });
    await expectApiError(await put('x', { kind: 'gc', schedule: 'every night' }), 400, 'INVALID_INPUT', /5 fields/);
    await expectApiError(await put('x', { kind: 'nope', schedule: '* * * * *' }), 400, 'INVALID_INPUT', /unknown/);
    await expectApiError(await put('Bad_Name', { kind: 'gc', schedule: '* * * * *' }), 400, 'INVALID_INPUT', /name/);
  });
});
