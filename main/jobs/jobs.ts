/**
 * @module What admins do with jobs and schedules (the API, the web page and the CLI call this):
 * list, read, start, cancel; write and remove schedules. Checks input here, once, for every
 * surface; knows nothing of HTTP. Who may call is checked by the surface (admins only).
 */
import { randomBytes } from 'node:crypto';
import type { JobLogPage, JobRecord, JobSchedule, JobStore } from '../metadata/jobs.js';
import type { JobState } from './types.js';
import { CronSyntaxError, parseCron } from './cron.js';
import { JobError } from './errors.js';
import type { JobRunner } from './runner.js';

export const JOB_STATES: readonly JobState[] = ['waiting', 'running', 'done', 'failed', 'cancelled'];
const ID_PATTERN = /^[0-9a-f]{20}$/;
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_LOG_PAGE = 1000;
const MAX_PARAMS_CHARS = 16 * 1024;

/** A new job id: creation time (ms, 12 hex digits) then 8 random hex digits, so ids sort by age. */
export function newJobId(now: number): string {
  return now.toString(16).padStart(12, '0').slice(-12) + randomBytes(4).toString('hex');
}

export function parseJobId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new JobError('NOT_FOUND', 'no such job');
  return id;
}

export function parseScheduleName(name: string): string {
  if (!NAME_PATTERN.test(name))
    throw new JobError('INVALID_INPUT', 'a schedule name is 1-64 lower-case letters, digits and dashes');
  return name;
}

export interface JobsDeps {
  store: JobStore;
  /**
   * The kinds, and the runner to wake for a new job and to abort a cancelled one running here. The
   * CLI passes its kinds with a runner that does neither: a running main picks the job up by polling.
   */
  runner: Pick<JobRunner, 'kinds' | 'poke' | 'abortLocal'>;
  now: () => number;
}

export interface StartJobInput {
  kind: string;
  params: unknown;
  /** A user name, `schedule:<name>` or `main`. */
  startedBy: string;
}

export interface Jobs {
  list(query: { kind?: string; state?: JobState; limit: number; before?: string }): Promise<JobRecord[]>;
  get(id: string): Promise<JobRecord>;
  readLog(id: string, offset: number, limit?: number): Promise<JobLogPage>;
  /** A job of a kind admins may start (INVALID_INPUT for any other kind or bad parameters). */
  startByAdmin(input: StartJobInput): Promise<JobRecord>;
  /** Any registered kind (main's own work). */
  start(input: StartJobInput): Promise<JobRecord>;
  /** Waiting: cancelled at once; running: aborted (here or on its replica at its next heartbeat). */
  cancel(id: string): Promise<JobRecord>;
  /** The registered kinds: name and whether an admin may start it. */
  kinds(): { kind: string; adminMayStart: boolean }[];
  listSchedules(): Promise<JobSchedule[]>;
  getSchedule(name: string): Promise<JobSchedule>;
  putSchedule(input: { name: string; kind: string; params: unknown; schedule: string }): Promise<JobSchedule>;
  deleteSchedule(name: string): Promise<void>;
}

export function createJobs({ store, runner, now }: JobsDeps): Jobs {
  const checkParams = (kindName: string, params: unknown, adminOnly: boolean) => {
    const kind = runner.kinds.get(kindName);
    if (!kind) throw new JobError('INVALID_INPUT', `unknown job kind "${kindName.slice(0, 64)}"`);
    if (adminOnly && !kind.adminMayStart)
      throw new JobError('INVALID_INPUT', `jobs of kind "${kind.kind}" are started by main only`);
    if (JSON.stringify(params ?? {}).length > MAX_PARAMS_CHARS)
      throw new JobError('INVALID_INPUT', 'the parameters are too large');
    try {
      return kind.parseParams(params ?? {});
    } catch (err) {
      // Each kind throws its own domain error; to the caller it is bad input either way.
      throw new JobError('INVALID_INPUT', `params: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
    }
  };
  const create = async (input: StartJobInput, adminOnly: boolean) => {
    const params = checkParams(input.kind, input.params, adminOnly);
    try {
      await runner.kinds.get(input.kind)?.checkParams?.(params);
    } catch (err) {
      throw new JobError('INVALID_INPUT', `params: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
    }
    const at = now();
    const job = await store.create({
      id: newJobId(at),
      kind: input.kind,
      startedBy: input.startedBy,
      params,
      createdAt: at,
    });
    runner.poke();
    return job;
  };
  const get = async (id: string) => {
    const job = await store.get(parseJobId(id));
    if (!job) throw new JobError('NOT_FOUND', 'no such job');
    return job;
  };
  return {
    list: (query) => store.list(query),
    get,
    async readLog(id, offset, limit = MAX_LOG_PAGE) {
      const page = await store.readLog(parseJobId(id), offset, Math.min(limit, MAX_LOG_PAGE));
      if (!page) throw new JobError('NOT_FOUND', 'no such job');
      return page;
    },
    startByAdmin: (input) => create(input, true),
    start: (input) => create(input, false),
    async cancel(id) {
      const before = await get(id);
      if (before.state !== 'waiting' && before.state !== 'running')
        throw new JobError('CONFLICT', `the job has ended (${before.state})`);
      const after = (await store.requestCancel(before.id, now())) ?? before;
      if (after.state === 'running') runner.abortLocal(after.id);
      return after;
    },
    kinds: () => [...runner.kinds.values()].map(({ kind, adminMayStart }) => ({ kind, adminMayStart })),
    listSchedules: () => store.listSchedules(),
    async getSchedule(name) {
      const schedule = await store.getSchedule(parseScheduleName(name));
      if (!schedule) throw new JobError('NOT_FOUND', 'no such schedule');
      return schedule;
    },
    async putSchedule(input) {
      const name = parseScheduleName(input.name);
      let expression: string;
      try {
        expression = parseCron(input.schedule).expression;
      } catch (err) {
        if (err instanceof CronSyntaxError) throw new JobError('INVALID_INPUT', `schedule: ${err.message}`);
        throw err;
      }
      checkParams(input.kind, input.params, false);
      // Kept as given: defaults (such as gc's grace period from the config) apply when each job starts.
      const params = { ...((input.params ?? {}) as Record<string, unknown>) };
      const at = now();
      // Ticks before this write are not due: a new schedule does not fire for the past.
      const schedule: JobSchedule = {
        name,
        kind: input.kind,
        params,
        schedule: expression,
        lastTickAt: at,
        updatedAt: at,
      };
      await store.putSchedule(schedule);
      return schedule;
    },
    async deleteSchedule(name) {
      if (!(await store.deleteSchedule(parseScheduleName(name)))) throw new JobError('NOT_FOUND', 'no such schedule');
    },
  };
}
