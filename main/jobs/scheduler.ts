/**
 * @module Cron schedules that start jobs. `check()` starts one job for each schedule with a
 * tick due since its last one (several missed ticks start one job, not a burst); the store
 * records the tick and creates the job in one transaction, so each tick fires once per cluster
 * however many replicas check. Main calls `check` every `SCHEDULE_CHECK_MS`; tests call it
 * with their own clock.
 */
import type { Logger } from '../../src/log/logger.js';
import type { JobStore } from '../metadata/jobs.js';
import { parseCron } from './cron.js';
import { newJobId } from './jobs.js';
import type { JobRunner } from './runner.js';

const MINUTE_MS = 60_000;

export interface Scheduler {
  /** Fires what is due at `now()`; resolves with the names of the schedules that fired here. */
  check(): Promise<string[]>;
}

export function createScheduler(deps: {
  store: JobStore;
  runner: JobRunner;
  now: () => number;
  logger: Logger;
}): Scheduler {
  const { store, runner, now, logger } = deps;
  return {
    async check() {
      const fired: string[] = [];
      const at = now();
      for (const schedule of await store.listSchedules()) {
        // A kind this program lacks (written by a newer version): left alone, not failed.
        const kind = runner.kinds.get(schedule.kind);
        if (!kind) continue;
        const next = parseCron(schedule.schedule).next(schedule.lastTickAt);
        if (next === undefined || next > at) continue;
        const tick = Math.floor(at / MINUTE_MS) * MINUTE_MS;
        let params: Record<string, unknown>;
        try {
          params = kind.parseParams(schedule.params);
        } catch (err) {
          // Checked when written; a kind's parameters changed since. Not fired, and said so each time.
          logger.warn('schedule has parameters its kind refuses: not started', { schedule: schedule.name, error: err });
          continue;
        }
        const job = {
          id: newJobId(at),
          kind: kind.kind,
          startedBy: `schedule:${schedule.name}`,
          params,
          createdAt: at,
        };
        if (await store.fireSchedule(schedule.name, tick, job)) {
          fired.push(schedule.name);
          logger.info('schedule started a job', { schedule: schedule.name, job: job.id, kind: job.kind });
        }
      }
      if (fired.length > 0) runner.poke();
      return fired;
    },
  };
}
