/**
 * @module `JobStore` on LMDB (contract: ../jobs.ts). Sub-databases:
 *
 *   jobs           id -> StoredJob (msgpack): the record plus its holder and lease end
 *   job-active     id -> true, for waiting and running jobs only (what `claim` scans)
 *   job-logs       key(id, seq as 12 digits) -> line
 *   job-schedules  name -> JobSchedule
 *
 * One process owns the environment, so every change is one `writeAtomically` transaction and
 * leases are measured with this process's clock.
 */
import { key, prefixRange, writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import { MAX_LOG_LINES, toLogLine, type JobRecord, type JobSchedule, type JobStore, type NewJob } from '../jobs.js';

interface StoredJob extends JobRecord {
  holder?: string;
  leaseUntil?: number;
}

const seqKey = (id: string, seq: number) => key(id, String(seq).padStart(12, '0'));

function toRecord({ holder: _holder, leaseUntil: _leaseUntil, ...record }: StoredJob): JobRecord {
  return record;
}

export function createLmdbJobStore(root: RootDatabase, now: () => number = Date.now): JobStore {
  const jobs = root.openDB<StoredJob, string>({ name: 'jobs', encoding: 'msgpack' });
  const active = root.openDB<boolean, string>({ name: 'job-active', encoding: 'msgpack' });
  const logs = root.openDB<string, string>({ name: 'job-logs', encoding: 'msgpack' });
  const schedules = root.openDB<JobSchedule, string>({ name: 'job-schedules', encoding: 'msgpack' });

  const insert = (job: NewJob): StoredJob => {
    const record: StoredJob = {
      ...job,
      state: 'waiting',
      progress: { done: 0 },
      attempt: 0,
      cancelRequested: false,
      logLines: 0,
    };
    jobs.put(job.id, record);
    active.put(job.id, true);
    return record;
  };
  const end = (job: StoredJob, patch: Partial<StoredJob>, at: number) => {
    const { holder: _h, leaseUntil: _l, ...rest } = job;
    jobs.put(job.id, { ...rest, ...patch, endedAt: at, cancelRequested: false });
    active.remove(job.id);
  };

  return {
    create: (job) => writeAtomically(root, () => toRecord(insert(job))),
    async get(id) {
      const job = jobs.get(id);
      return job && toRecord(job);
    },
    async list({ kind, state, limit, before }) {
      const out: JobRecord[] = [];
      const range = before !== undefined ? { start: before, reverse: true } : { reverse: true };
      for (const { key: id, value } of jobs.getRange(range)) {
        if (id === before) continue;
        if ((kind !== undefined && value.kind !== kind) || (state !== undefined && value.state !== state)) continue;
        out.push(toRecord(value));
        if (out.length >= limit) break;
      }
      return out;
    },
    claim: (holder, kinds, leaseMs, at) =>
      writeAtomically(root, () => {
        const clock = now();
        for (const { key: id } of active.getRange({})) {
          const job = jobs.get(id);
          if (!job || !kinds.includes(job.kind)) continue;
          if (job.state === 'running') {
            if ((job.leaseUntil ?? 0) >= clock) continue;
            if (job.cancelRequested) {
              end(job, { state: 'cancelled' }, at);
              continue;
            }
            if (job.attempt >= 2) {
              end(job, { state: 'failed', error: 'interrupted' }, at);
              continue;
            }
          }
          const claimed: StoredJob = {
            ...job,
            state: 'running',
            attempt: job.attempt + 1,
            startedAt: at,
            holder,
            leaseUntil: clock + leaseMs,
          };
          jobs.put(id, claimed);
          return toRecord(claimed);
        }
        return undefined;
      }),
    expireAllLeases: () =>
      writeAtomically(root, () => {
        for (const { key: id } of active.getRange({})) {
          const job = jobs.get(id);
          if (job?.state === 'running') jobs.put(id, { ...job, leaseUntil: 0 });
        }
      }),
    heartbeat: (id, holder, leaseMs, { progress, lines = [] }) =>
      writeAtomically(root, () => {
        const job = jobs.get(id);
        if (job?.state !== 'running' || job.holder !== holder) return 'lost' as const;
        let logLines = job.logLines;
        for (const line of lines) logs.put(seqKey(id, logLines++), toLogLine(line));
        for (let seq = Math.max(0, job.logLines - MAX_LOG_LINES); seq < logLines - MAX_LOG_LINES; seq++)
          logs.remove(seqKey(id, seq));
        jobs.put(id, { ...job, ...(progress && { progress }), logLines, leaseUntil: now() + leaseMs });
        return job.cancelRequested ? ('cancel-requested' as const) : ('running' as const);
      }),
    release: (id, holder, at) =>
      writeAtomically(root, () => {
        const job = jobs.get(id);
        if (job?.state !== 'running' || job.holder !== holder) return false;
        if (job.cancelRequested) {
          end(job, { state: 'cancelled' }, at);
          return true;
        }
        const { holder: _h, leaseUntil: _l, startedAt: _s, ...rest } = job;
        jobs.put(id, { ...rest, state: 'waiting', attempt: job.attempt - 1 });
        return true;
      }),
    finish: (id, holder, outcome, at) =>
      writeAtomically(root, () => {
        const job = jobs.get(id);
        if (job?.state !== 'running' || job.holder !== holder) return false;
        end(job, outcome, at);
        return true;
      }),
    requestCancel: (id, at) =>
      writeAtomically(root, () => {
        const job = jobs.get(id);
        if (!job) return undefined;
        if (job.state === 'waiting') end(job, { state: 'cancelled' }, at);
        else if (job.state === 'running') jobs.put(id, { ...job, cancelRequested: true });
        return toRecord(jobs.get(id)!);
      }),
    async readLog(id, offset, limit) {
      const job = jobs.get(id);
      if (!job) return undefined;
      const first = Math.max(offset, job.logLines - MAX_LOG_LINES, 0);
      const { end: rangeEnd } = prefixRange([id]);
      const lines: string[] = [];
      for (const { value } of logs.getRange({ start: seqKey(id, first), end: rangeEnd, limit })) lines.push(value);
      return { offset: first, lines, next: first + lines.length };
    },
    deleteEndedBefore: (before, limit) =>
      writeAtomically(root, () => {
        const ended: string[] = [];
        for (const { key: id, value } of jobs.getRange({})) {
          // Ids sort by creation: a job created after the cutoff cannot have ended before it.
          if (ended.length >= limit || value.createdAt >= before) break;
          if (value.endedAt !== undefined && value.endedAt < before) ended.push(id);
        }
        for (const id of ended) {
          for (const line of [...logs.getKeys(prefixRange([id]))]) logs.remove(line);
          jobs.remove(id);
        }
        return ended.length;
      }),
    async listSchedules() {
      return [...schedules.getRange({})].map(({ value }) => value);
    },
    async getSchedule(name) {
      return schedules.get(name);
    },
    putSchedule: (schedule) => writeAtomically(root, () => void schedules.put(schedule.name, schedule)),
    deleteSchedule: (name) =>
      writeAtomically(root, () => {
        if (schedules.get(name) === undefined) return false;
        schedules.remove(name);
        return true;
      }),
    fireSchedule: (name, tickAt, job) =>
      writeAtomically(root, () => {
        const schedule = schedules.get(name);
        if (!schedule || schedule.lastTickAt >= tickAt) return false;
        schedules.put(name, { ...schedule, lastTickAt: tickAt });
        insert(job);
        return true;
      }),
  };
}
