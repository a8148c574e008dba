/**
 * @module The jobs owner: every background job main runs (main/jobs/), its bounded log, and the
 * cron schedules that start jobs. Both backends keep the same contract:
 *
 * - A job is created `waiting` (attempt 0). `claim` moves ONE waiting job to `running` for one
 *   holder (a replica's runner) with a lease, atomically: two runners never get the same job.
 * - The holder renews the lease while the job runs (`heartbeat`, which also writes the batched
 *   progress and log lines). A `running` job whose lease has expired was interrupted (its holder
 *   died): `claim` retries it once (attempt 2), and fails it with "interrupted" after that; a job
 *   whose cancellation was requested is cancelled instead. No job is ever silently lost.
 * - A runner that stops (main shuts down) `release`s its jobs: they wait again, their attempt
 *   not counted, and the next start (or another replica) runs them.
 * - `requestCancel` cancels a waiting job at once; for a running job it sets a flag the holder
 *   sees at its next heartbeat (so a job runs on one replica and is cancelled from any).
 * - The log keeps the last `MAX_LOG_LINES` lines, each at most `MAX_LOG_LINE_CHARS` characters;
 *   lines are numbered from 0 for the whole life of the job, so a reader follows with `offset`.
 * - `fireSchedule` records a schedule's tick and creates its job in one transaction, only when
 *   no replica recorded that tick (or a later one) before: a schedule fires once per cluster.
 */
import type { JobState } from '../jobs/types.js';

export const MAX_LOG_LINES = 1000;
export const MAX_LOG_LINE_CHARS = 2000;

export interface JobProgress {
  done: number;
  total?: number;
  message?: string;
}

export interface JobRecord {
  /** 20 lower-case hex characters: creation time then randomness, so ids sort oldest first. */
  id: string;
  kind: string;
  /** A user name, `schedule:<name>`, or `main`. */
  startedBy: string;
  params: Record<string, unknown>;
  state: JobState;
  progress: JobProgress;
  summary?: Record<string, unknown>;
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Runs started so far: 0 while first waiting, 2 when retried after an interruption. */
  attempt: number;
  /** Set by `requestCancel` on a running job, until its holder stops it. */
  cancelRequested: boolean;
  /** The number of the next log line (lines kept: the last `MAX_LOG_LINES` below it). */
  logLines: number;
}

export interface NewJob {
  id: string;
  kind: string;
  startedBy: string;
  params: Record<string, unknown>;
  createdAt: number;
}

export interface JobListQuery {
  kind?: string;
  state?: JobState;
  limit: number;
  /** A job id: list the jobs older than it (the previous page's last id). */
  before?: string;
}

export interface JobLogPage {
  /** The number of the first line returned (greater than the offset asked when older lines are gone). */
  offset: number;
  lines: string[];
  /** Where the next read starts. */
  next: number;
}

/** What the holder learns at a heartbeat: `lost` when the job is no longer its own (lease taken over). */
export type HeartbeatAnswer = 'running' | 'cancel-requested' | 'lost';

export type JobOutcome =
  | { state: 'done'; summary: Record<string, unknown> }
  | { state: 'failed'; error: string }
  | { state: 'cancelled' };

export interface JobSchedule {
  /** Lower case, digits and dashes, at most 64 characters. */
  name: string;
  kind: string;
  params: Record<string, unknown>;
  /** Five cron fields, "m h dom mon dow", evaluated in UTC (main/jobs/cron.ts). */
  schedule: string;
  /** The last tick that started a job (or when the schedule was last written): ticks after it are due. */
  lastTickAt: number;
  updatedAt: number;
}

export interface JobStore {
  create(job: NewJob): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(query: JobListQuery): Promise<JobRecord[]>;
  /**
   * Takes the oldest waiting (or interrupted) job of one of `kinds` for `holder` for `leaseMs`,
   * first settling interrupted jobs that may not be retried. `now` stamps `startedAt`.
   */
  claim(holder: string, kinds: readonly string[], leaseMs: number, now: number): Promise<JobRecord | undefined>;
  /** Embedded only (one process): every running job's lease ends now, as its process is gone. */
  expireAllLeases(): Promise<void>;
  /** Renews the lease and writes progress and new log lines (trimmed to the bound). */
  heartbeat(
    id: string,
    holder: string,
    leaseMs: number,
    update: { progress?: JobProgress; lines?: readonly string[] },
  ): Promise<HeartbeatAnswer>;
  /**
   * Gives back a job the holder stopped running because it is shutting down: waiting again, as if
   * never claimed (the attempt does not count), or cancelled when that was asked meanwhile.
   */
  release(id: string, holder: string, now: number): Promise<boolean>;
  /** Ends a job the holder runs; false when it was no longer the holder's. */
  finish(id: string, holder: string, outcome: JobOutcome, now: number): Promise<boolean>;
  /** Cancels a waiting job, flags a running one; the job after the change, undefined when unknown. */
  requestCancel(id: string, now: number): Promise<JobRecord | undefined>;
  readLog(id: string, offset: number, limit: number): Promise<JobLogPage | undefined>;
  /** Removes up to `limit` jobs that ended before `before`, oldest first, with their logs; returns how many. */
  deleteEndedBefore(before: number, limit: number): Promise<number>;

  listSchedules(): Promise<JobSchedule[]>;
  getSchedule(name: string): Promise<JobSchedule | undefined>;
  putSchedule(schedule: JobSchedule): Promise<void>;
  /** False when there was none. */
  deleteSchedule(name: string): Promise<boolean>;
  /** Records tick `tickAt` of `name` and creates `job`, unless a tick at or after it was recorded. */
  fireSchedule(name: string, tickAt: number, job: NewJob): Promise<boolean>;
}

/** Cuts a log line to the bound and removes line breaks (one line is one line). */
export function toLogLine(line: string): string {
  const flat = line.replace(/[\r\n]+/g, ' ');
  return flat.length > MAX_LOG_LINE_CHARS ? `${flat.slice(0, MAX_LOG_LINE_CHARS - 1)}…` : flat;
}
