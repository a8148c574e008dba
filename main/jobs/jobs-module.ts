/**
 * @module Main's background jobs assembled: the runner over the jobs owner, the admin-facing
 * service, the scheduler, and the timers that poll for work (jobs created on other replicas)
 * and check schedules. Built by service.ts; `stop` ends what it started.
 */
import type { Logger } from '../../src/log/logger.js';
import type { JobStore } from '../metadata/jobs.js';
import { createJobs, type Jobs } from './jobs.js';
import { createJobRunner, type JobRunner } from './runner.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import type { JobKind } from './types.js';

// Jobs created on another replica, or left by a dead one, are picked up within this time.
const POLL_MS = 5_000;
// Schedules have minutes as their unit: checking a few times a minute fires them on time.
const SCHEDULE_CHECK_MS = 20_000;

export interface JobsModule {
  readonly jobs: Jobs;
  readonly runner: JobRunner;
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

export interface JobsModuleOptions {
  store: JobStore;
  kinds: readonly JobKind[];
  holder: string;
  concurrency: number;
  /** One process over LMDB: running jobs found at start were interrupted by this process's own crash. */
  embedded: boolean;
  logger: Logger;
  now: () => number;
  /** Tests leave the timers off and call `runner.drain()` and `scheduler.check()` themselves. */
  timers?: boolean;
}

export async function startJobsModule(options: JobsModuleOptions): Promise<JobsModule> {
  const { store, logger, now } = options;
  const runner = createJobRunner({ ...options });
  const jobs = createJobs({ store, runner, now });
  const scheduler = createScheduler({ store, runner, now, logger });
  if (options.embedded) await store.expireAllLeases();
  const timers =
    options.timers === false
      ? []
      : [
          setInterval(() => runner.poke(), POLL_MS).unref(),
          setInterval(
            () => void scheduler.check().catch((err) => logger.warn('schedule check failed', { error: err })),
            SCHEDULE_CHECK_MS,
          ).unref(),
        ];
  runner.poke();
  return {
    jobs,
    runner,
    scheduler,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await runner.stop();
    },
  };
}
