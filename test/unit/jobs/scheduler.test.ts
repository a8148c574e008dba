/**
 * Schedules start jobs (main/jobs/scheduler.ts), over a real LMDB jobs owner and a clock the
 * test moves: nothing fires before its minute, a tick fires once, missed ticks fire once.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbJobStore } from '../../../main/metadata/lmdb/jobs.js';
import { startJobsModule, type JobsModule } from '../../../main/jobs/jobs-module.js';
import type { JobKind } from '../../../main/jobs/types.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const noop: JobKind = {
  kind: 'noop',
  adminMayStart: true,
  parseParams: (input) => ({ ...(input as object) }),
  run: async () => ({}),
};

describe('schedules', () => {
  let temp: TempDir;
  let env: MainEnvironment;
  let module: JobsModule;
  let clock = 0;

  beforeEach(async () => {
    clock = Date.parse('2026-01-01T02:58:30.000Z');
    temp = await createTempDir('outpost-scheduler-');
    env = openMainEnvironment(join(temp.path, 'db'));
    module = await startJobsModule({
      store: createLmdbJobStore(env.root),
      kinds: [noop],
      holder: 'replica-a',
      concurrency: 1,
      embedded: true,
      logger: silentLogger,
      now: () => clock,
      timers: false,
    });
  });
  afterEach(async () => {
    await module.stop();
    await env.close();
    await temp.remove();
  });

  it('starts a job at each due minute, once, as schedule:<name>', async () => {
    const { jobs, scheduler, runner } = module;
    await jobs.putSchedule({ name: 'nightly', kind: 'noop', params: { x: 1 }, schedule: '0 3 * * *' });
    expect(await scheduler.check()).toEqual([]);
    clock = Date.parse('2026-01-01T02:59:59.000Z');
    expect(await scheduler.check()).toEqual([]);
    clock = Date.parse('2026-01-01T03:00:10.000Z');
    expect(await scheduler.check()).toEqual(['nightly']);
    expect(await scheduler.check()).toEqual([]);
    await runner.drain();
    const list = await jobs.list({ limit: 10 });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'noop', startedBy: 'schedule:nightly', params: { x: 1 }, state: 'done' });
  });

  it('starts one job, not a burst, for ticks missed while main was down', async () => {
    const { jobs, scheduler } = module;
    await jobs.putSchedule({ name: 'hourly', kind: 'noop', params: {}, schedule: '0 * * * *' });
    clock = Date.parse('2026-01-01T09:30:00.000Z');
    expect(await scheduler.check()).toEqual(['hourly']);
    expect(await scheduler.check()).toEqual([]);
    clock = Date.parse('2026-01-01T10:00:00.000Z');
    expect(await scheduler.check()).toEqual(['hourly']);
  });

  it('refuses a bad schedule, an unknown kind and a bad name', async () => {
    const { jobs } = module;
    await expect(
      jobs.putSchedule({ name: 'x', kind: 'noop', params: {}, schedule: '0 25 * * *' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'schedule: hour: 25 is outside 0-23',
    });
    await expect(
      jobs.putSchedule({ name: 'x', kind: 'gone', params: {}, schedule: '* * * * *' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      jobs.putSchedule({ name: 'Bad Name', kind: 'noop', params: {}, schedule: '* * * * *' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(jobs.deleteSchedule('none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
