/**
 * The job runner (main/jobs/runner.ts) over a real LMDB jobs owner: bounded concurrency,
 * cancellation, failures, the bounded log, and jobs interrupted by a crash (a `running` record
 * left in the store, found by the next start of the embedded main).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbJobStore } from '../../../main/metadata/lmdb/jobs.js';
import { MAX_LOG_LINES, type JobStore } from '../../../main/metadata/jobs.js';
import { startJobsModule, type JobsModule } from '../../../main/jobs/jobs-module.js';
import type { JobKind } from '../../../main/jobs/types.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Jobs that run until the test opens their gate, counting how many run at once. */
function gatedKind() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const stats = { running: 0, most: 0, started: 0 };
  const kind: JobKind = {
    kind: 'gated',
    adminMayStart: true,
    parseParams: (input) => input as Record<string, unknown>,
    async run(context) {
      stats.started++;
      stats.most = Math.max(stats.most, ++stats.running);
      try {
        await Promise.race([
          gate,
          new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason))),
        ]);
      } finally {
        stats.running--;
      }
      return { ok: true };
    },
  };
  return { kind, stats, open };
}

const chatty: JobKind = {
  kind: 'chatty',
  adminMayStart: true,
  parseParams: (input) => input as Record<string, unknown>,
  async run(context) {
    for (let i = 0; i < 1500; i++) {
      context.log(`line ${i}`);
      context.progress(i + 1, 1500);
    }
    return { lines: 1500 };
  },
};

const failing: JobKind = {
  kind: 'failing',
  adminMayStart: false,
  parseParams: () => ({}),
  async run() {
    throw new Error('the disk is on fire');
  },
};

describe('job runner', () => {
  let temp: TempDir;
  let env: MainEnvironment;
  let store: JobStore;
  let module: JobsModule | undefined;
  const start = async (kinds: JobKind[], concurrency = 2) => {
    module = await startJobsModule({
      store,
      kinds,
      holder: 'replica-a',
      concurrency,
      embedded: true,
      logger: silentLogger,
      now: Date.now,
      timers: false,
    });
    return module;
  };

  beforeEach(async () => {
    temp = await createTempDir('outpost-job-runner-');
    env = openMainEnvironment(join(temp.path, 'db'));
    store = createLmdbJobStore(env.root);
  });
  afterEach(async () => {
    await module?.stop();
    module = undefined;
    await env.close();
    await temp.remove();
  });

  it('runs at most `concurrency` jobs at once and the rest when those end', async () => {
    const { kind, stats, open } = gatedKind();
    const { jobs, runner } = await start([kind], 2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await jobs.start({ kind: 'gated', params: {}, startedBy: 'admin' })).id);
    await waitFor(() => stats.running === 2, 'two jobs running');
    const states = await Promise.all(ids.map(async (id) => (await jobs.get(id)).state));
    expect(states.filter((s) => s === 'running')).toHaveLength(2);
    expect(states.filter((s) => s === 'waiting')).toHaveLength(3);
    open();
    await runner.drain();
    expect(stats).toMatchObject({ most: 2, started: 5 });
    for (const id of ids)
      expect(await jobs.get(id)).toMatchObject({ state: 'done', summary: { ok: true }, attempt: 1 });
  });

  it('cancels a waiting job before it runs and aborts a running one', async () => {
    const { kind, stats } = gatedKind();
    const { jobs, runner } = await start([kind], 1);
    const first = await jobs.start({ kind: 'gated', params: {}, startedBy: 'admin' });
    const second = await jobs.start({ kind: 'gated', params: {}, startedBy: 'admin' });
    await waitFor(() => stats.running === 1, 'the first job running');
    expect((await jobs.cancel(second.id)).state).toBe('cancelled');
    expect((await jobs.cancel(first.id)).cancelRequested).toBe(true);
    await runner.drain();
    expect(await jobs.get(first.id)).toMatchObject({ state: 'cancelled', cancelRequested: false });
    expect(stats.started).toBe(1);
    await expect(jobs.cancel(first.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('fails a job whose run throws, with the message in the job and its log', async () => {
    const { jobs, runner } = await start([failing]);
    const job = await jobs.start({ kind: 'failing', params: {}, startedBy: 'main' });
    await runner.drain();
    expect(await jobs.get(job.id)).toMatchObject({ state: 'failed', error: 'the disk is on fire' });
    expect((await jobs.readLog(job.id, 0)).lines).toEqual(['failed: the disk is on fire']);
  });

  it(`keeps the last ${MAX_LOG_LINES} lines of a job's log and its last progress`, async () => {
    const { jobs, runner } = await start([chatty]);
    const job = await jobs.start({ kind: 'chatty', params: {}, startedBy: 'admin' });
    await runner.drain();
    expect(await jobs.get(job.id)).toMatchObject({ state: 'done', progress: { done: 1500, total: 1500 } });
    const log = await jobs.readLog(job.id, 0);
    expect(log.lines).toHaveLength(MAX_LOG_LINES);
    expect(log.lines[0]).toBe('line 500');
    expect(log.lines.at(-1)).toBe('line 1499');
  });

  it('writes progress and log lines in batches, not once per call', async () => {
    let heartbeats = 0;
    const counted: JobStore = {
      ...store,
      heartbeat: (...args) => {
        heartbeats++;
        return store.heartbeat(...args);
      },
    };
    module = await startJobsModule({
      store: counted,
      kinds: [chatty],
      holder: 'replica-a',
      concurrency: 1,
      embedded: true,
      logger: silentLogger,
      now: Date.now,
      timers: false,
    });
    const job = await module.jobs.start({ kind: 'chatty', params: {}, startedBy: 'admin' });
    await module.runner.drain();
    expect((await module.jobs.get(job.id)).progress).toEqual({ done: 1500, total: 1500 });
    // 1,500 progress calls and 1,500 lines in one synchronous loop: one write at the end.
    expect(heartbeats).toBe(1);
  });

  it('refuses unknown kinds, kinds admins may not start, and bad parameters', async () => {
    const { jobs } = await start([failing, chatty]);
    await expect(jobs.startByAdmin({ kind: 'nope', params: {}, startedBy: 'admin' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'unknown job kind "nope"',
    });
    await expect(jobs.startByAdmin({ kind: 'failing', params: {}, startedBy: 'admin' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'jobs of kind "failing" are started by main only',
    });
    await expect(jobs.get('../../etc')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives a running job back when it stops; the next start runs it as the same attempt', async () => {
    const { kind, stats } = gatedKind();
    const first = await start([kind], 1);
    const job = await first.jobs.start({ kind: 'gated', params: {}, startedBy: 'admin' });
    await waitFor(() => stats.running === 1, 'the job running');
    await first.stop();
    expect(await store.get(job.id)).toMatchObject({ state: 'waiting', attempt: 0 });
    const again = gatedKind();
    again.open();
    const second = await start([again.kind], 1);
    await second.runner.drain();
    expect(await second.jobs.get(job.id)).toMatchObject({ state: 'done', attempt: 1 });
  });

  describe('after a crash (the embedded main starts again over the same store)', () => {
    const crashWith = async (attempt: 1 | 2) => {
      const job = await store.create({
        id: '0000000000010000abcd',
        kind: 'chatty',
        startedBy: 'admin',
        params: {},
        createdAt: 1,
      });
      for (let i = 0; i < attempt; i++) {
        await store.claim('dead-replica', ['chatty'], 600_000, 2);
        if (i + 1 < attempt) await store.expireAllLeases();
      }
      // The process is gone: its lease would still run for ten minutes. Reopen as a new start does.
      await env.close();
      env = openMainEnvironment(join(temp.path, 'db'));
      store = createLmdbJobStore(env.root);
      return job.id;
    };

    it('runs a job it interrupted again, as attempt 2', async () => {
      const id = await crashWith(1);
      const { jobs, runner } = await start([chatty]);
      await runner.drain();
      expect(await jobs.get(id)).toMatchObject({ state: 'done', attempt: 2 });
      expect((await jobs.readLog(id, 0)).lines[0]).toBe('line 500');
    });

    it('fails a job interrupted on its second attempt as "interrupted"', async () => {
      const id = await crashWith(2);
      const { jobs, runner } = await start([chatty]);
      await runner.drain();
      expect(await jobs.get(id)).toMatchObject({ state: 'failed', error: 'interrupted', attempt: 2 });
    });
  });
});
