/**
 * The `JobStore` contract (main/metadata/jobs.ts) as one suite every backend runs:
 * `describeJobStore('LMDB', factory)`. It uses the interface only; an expired lease is made with
 * `expireAllLeases` (what the embedded main does at start), so no test waits for a clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LOG_LINES, MAX_LOG_LINE_CHARS, type JobStore, type NewJob } from '../../main/metadata/jobs.js';

export interface JobStoreFixture {
  store: JobStore;
  /** A second store over the same data, as another replica would open it. */
  reopen(): Promise<JobStore>;
  cleanup(): Promise<void>;
}

const LEASE_MS = 60_000;
let sequence = 0;
const newJob = (kind = 'gc', createdAt = 1_000_000 + sequence): NewJob => ({
  id: (createdAt.toString(16).padStart(12, '0') + (sequence++).toString(16).padStart(8, '0')).slice(0, 20),
  kind,
  startedBy: 'admin',
  params: { dryRun: true },
  createdAt,
});

export function describeJobStore(name: string, factory: () => Promise<JobStoreFixture>): void {
  describe(`JobStore on ${name}`, () => {
    let fixture: JobStoreFixture;
    let store: JobStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('creates a waiting job and reads it back', async () => {
      const job = newJob();
      const created = await store.create(job);
      expect(created).toEqual({
        ...job,
        state: 'waiting',
        progress: { done: 0 },
        attempt: 0,
        cancelRequested: false,
        logLines: 0,
      });
      expect(await store.get(job.id)).toEqual(created);
      expect(await store.get('00000000000000000000')).toBeUndefined();
    });

    it('lists newest first, filtered by kind and state, a page at a time', async () => {
      const jobs = [newJob('gc'), newJob('prune'), newJob('gc'), newJob('gc')];
      for (const job of jobs) await store.create(job);
      await store.requestCancel(jobs[3]!.id, 5);
      const ids = (list: { id: string }[]) => list.map((j) => j.id);
      expect(ids(await store.list({ limit: 10 }))).toEqual(jobs.map((j) => j.id).reverse());
      expect(ids(await store.list({ kind: 'gc', limit: 10 }))).toEqual([jobs[3]!.id, jobs[2]!.id, jobs[0]!.id]);
      expect(ids(await store.list({ kind: 'gc', state: 'waiting', limit: 10 }))).toEqual([jobs[2]!.id, jobs[0]!.id]);
      const first = await store.list({ limit: 2 });
      expect(ids(first)).toEqual([jobs[3]!.id, jobs[2]!.id]);
      expect(ids(await store.list({ limit: 2, before: first[1]!.id }))).toEqual([jobs[1]!.id, jobs[0]!.id]);
    });

    it('claims the oldest waiting job of a known kind, once, for one holder', async () => {
      const other = newJob('unknown-kind');
      const [a, b] = [newJob('gc'), newJob('gc')];
      for (const job of [other, a!, b!]) await store.create(job);
      const second = await fixture.reopen();
      const claims = await Promise.all([
        store.claim('replica-1', ['gc'], LEASE_MS, 10),
        second.claim('replica-2', ['gc'], LEASE_MS, 10),
        store.claim('replica-1', ['gc'], LEASE_MS, 10),
      ]);
      const claimed = claims.filter((c) => c !== undefined);
      expect(claimed.map((c) => c.id).sort()).toEqual([a!.id, b!.id]);
      for (const c of claimed) expect(c).toMatchObject({ state: 'running', attempt: 1, startedAt: 10 });
      expect((await store.get(other.id))?.state).toBe('waiting');
    });

    it('lets only the holder record progress, log lines and the end', async () => {
      const job = await store.create(newJob());
      await store.claim('replica-1', ['gc'], LEASE_MS, 10);
      expect(await store.heartbeat(job.id, 'replica-2', LEASE_MS, { progress: { done: 9 } })).toBe('lost');
      expect(
        await store.heartbeat(job.id, 'replica-1', LEASE_MS, {
          progress: { done: 3, total: 4, message: 'm' },
          lines: ['one', 'two\nlines'],
        }),
      ).toBe('running');
      expect((await store.get(job.id))?.progress).toEqual({ done: 3, total: 4, message: 'm' });
      expect(await store.readLog(job.id, 0, 100)).toEqual({ offset: 0, lines: ['one', 'two lines'], next: 2 });
      expect(await store.readLog(job.id, 1, 100)).toEqual({ offset: 1, lines: ['two lines'], next: 2 });
      expect(await store.finish(job.id, 'replica-2', { state: 'done', summary: {} }, 20)).toBe(false);
      expect(await store.finish(job.id, 'replica-1', { state: 'done', summary: { removed: 2 } }, 20)).toBe(true);
      expect(await store.get(job.id)).toMatchObject({ state: 'done', summary: { removed: 2 }, endedAt: 20 });
      expect(await store.heartbeat(job.id, 'replica-1', LEASE_MS, {})).toBe('lost');
    });

    it(`keeps the last ${MAX_LOG_LINES} log lines, each cut to ${MAX_LOG_LINE_CHARS} characters`, async () => {
      const job = await store.create(newJob());
      await store.claim('r', ['gc'], LEASE_MS, 10);
      const lines = Array.from({ length: 1500 }, (_, i) => `line ${i}`);
      await store.heartbeat(job.id, 'r', LEASE_MS, { lines: lines.slice(0, 700) });
      await store.heartbeat(job.id, 'r', LEASE_MS, { lines: [...lines.slice(700), 'x'.repeat(5000)] });
      const page = await store.readLog(job.id, 0, 2000);
      expect(page?.offset).toBe(501);
      expect(page?.lines).toHaveLength(MAX_LOG_LINES);
      expect(page?.lines[0]).toBe('line 501');
      expect(page?.lines.at(-1)).toHaveLength(MAX_LOG_LINE_CHARS);
      expect(page?.next).toBe(1501);
      expect(await store.readLog('00000000000000000000', 0, 10)).toBeUndefined();
    });

    it('cancels a waiting job at once and flags a running one for its holder', async () => {
      const waiting = await store.create(newJob('gc', 1));
      const running = await store.create(newJob('gc', 2));
      await store.requestCancel(waiting.id, 30);
      expect(await store.get(waiting.id)).toMatchObject({ state: 'cancelled', endedAt: 30 });
      await store.claim('r', ['gc'], LEASE_MS, 31);
      expect(await store.requestCancel(running.id, 32)).toMatchObject({ state: 'running', cancelRequested: true });
      expect(await store.heartbeat(running.id, 'r', LEASE_MS, {})).toBe('cancel-requested');
      await store.finish(running.id, 'r', { state: 'cancelled' }, 33);
      expect(await store.get(running.id)).toMatchObject({ state: 'cancelled', cancelRequested: false });
    });

    it('retries a job whose holder died once, then fails it as interrupted', async () => {
      const job = await store.create(newJob());
      await store.claim('dead-1', ['gc'], LEASE_MS, 10);
      expect(await store.claim('r', ['gc'], LEASE_MS, 11)).toBeUndefined();
      await store.expireAllLeases();
      expect(await store.claim('r', ['gc'], LEASE_MS, 12)).toMatchObject({ id: job.id, attempt: 2, startedAt: 12 });
      await store.expireAllLeases();
      expect(await store.claim('r', ['gc'], LEASE_MS, 13)).toBeUndefined();
      expect(await store.get(job.id)).toMatchObject({ state: 'failed', error: 'interrupted', endedAt: 13 });
    });

    it('gives a job back to waiting when its runner stops, without counting the attempt', async () => {
      const job = await store.create(newJob());
      await store.claim('r', ['gc'], LEASE_MS, 10);
      expect(await store.release(job.id, 'other', 11)).toBe(false);
      expect(await store.release(job.id, 'r', 11)).toBe(true);
      const back = await store.get(job.id);
      expect(back).toMatchObject({ state: 'waiting', attempt: 0 });
      expect(back?.startedAt).toBeUndefined();
      expect(await store.claim('r2', ['gc'], LEASE_MS, 12)).toMatchObject({ attempt: 1, startedAt: 12 });
      await store.requestCancel(job.id, 13);
      expect(await store.release(job.id, 'r2', 14)).toBe(true);
      expect(await store.get(job.id)).toMatchObject({ state: 'cancelled', endedAt: 14 });
    });

    it('cancels, rather than retries, an interrupted job whose cancellation was asked', async () => {
      const job = await store.create(newJob());
      await store.claim('dead-1', ['gc'], LEASE_MS, 10);
      await store.requestCancel(job.id, 11);
      await store.expireAllLeases();
      expect(await store.claim('r', ['gc'], LEASE_MS, 12)).toBeUndefined();
      expect((await store.get(job.id))?.state).toBe('cancelled');
    });

    it('removes jobs that ended before a time, with their logs, and nothing else', async () => {
      const old = await store.create(newJob('gc', 100));
      const oldWaiting = await store.create(newJob('gc', 101));
      const recent = await store.create(newJob('gc', 102));
      await store.claim('r', ['gc'], LEASE_MS, 110);
      await store.heartbeat(old.id, 'r', LEASE_MS, { lines: ['a', 'b'] });
      await store.finish(old.id, 'r', { state: 'done', summary: {} }, 120);
      await store.requestCancel(recent.id, 300);
      expect(await store.deleteEndedBefore(200, 10)).toBe(1);
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.readLog(old.id, 0, 10)).toBeUndefined();
      expect((await store.get(oldWaiting.id))?.state).toBe('waiting');
      expect((await store.get(recent.id))?.state).toBe('cancelled');
      expect(await store.deleteEndedBefore(200, 10)).toBe(0);
    });

    it('keeps schedules, and fires each tick once however many replicas try', async () => {
      const schedule = {
        name: 'gc-nightly',
        kind: 'gc',
        params: {},
        schedule: '0 3 * * *',
        lastTickAt: 100,
        updatedAt: 100,
      };
      await store.putSchedule(schedule);
      expect(await store.getSchedule('gc-nightly')).toEqual(schedule);
      expect(await store.listSchedules()).toEqual([schedule]);
      const second = await fixture.reopen();
      const fired = await Promise.all([
        store.fireSchedule('gc-nightly', 200, newJob()),
        second.fireSchedule('gc-nightly', 200, newJob()),
      ]);
      expect(fired.filter(Boolean)).toHaveLength(1);
      expect(await store.fireSchedule('gc-nightly', 150, newJob())).toBe(false);
      expect(await store.list({ limit: 10 })).toHaveLength(1);
      expect((await store.list({ limit: 10 }))[0]).toMatchObject({ kind: 'gc', state: 'waiting' });
      expect((await store.getSchedule('gc-nightly'))?.lastTickAt).toBe(200);
      expect(await store.deleteSchedule('gc-nightly')).toBe(true);
      expect(await store.deleteSchedule('gc-nightly')).toBe(false);
      expect(await store.fireSchedule('gc-nightly', 300, newJob())).toBe(false);
    });
  });
}
