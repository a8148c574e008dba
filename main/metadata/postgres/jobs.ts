/**
 * @module `JobStore` on PostgreSQL (contract: ../jobs.ts; tables: ./jobs-schema.ts). Replicas
 * claim with `FOR UPDATE SKIP LOCKED`, so two runners never take the same job and never wait on
 * each other; leases are compared with the database's clock (`now()`), so replicas' clocks need
 * not agree. Times the API shows (created, started, ended) are the caller's milliseconds.
 */
import { MAX_LOG_LINES, toLogLine, type JobRecord, type JobSchedule, type JobStore, type NewJob } from '../jobs.js';
import type { JobState } from '../../jobs/types.js';
import type { PostgresDatabase, Queryable } from './database.js';

interface JobRow {
  id: string;
  kind: string;
  started_by: string;
  params: Record<string, unknown>;
  state: JobState;
  progress: JobRecord['progress'];
  summary: Record<string, unknown> | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  attempt: number;
  cancel_requested: boolean;
  log_lines: string;
}

interface ScheduleRow {
  name: string;
  kind: string;
  params: Record<string, unknown>;
  schedule: string;
  last_tick_at: string;
  updated_at: string;
}

const COLUMNS = `id, kind, started_by, params, state, progress, summary, error, created_at, started_at, ended_at,
  attempt, cancel_requested, log_lines`;

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    startedBy: row.started_by,
    params: row.params,
    state: row.state,
    progress: row.progress,
    ...(row.summary !== null && { summary: row.summary }),
    ...(row.error !== null && { error: row.error }),
    createdAt: Number(row.created_at),
    ...(row.started_at !== null && { startedAt: Number(row.started_at) }),
    ...(row.ended_at !== null && { endedAt: Number(row.ended_at) }),
    attempt: row.attempt,
    cancelRequested: row.cancel_requested,
    logLines: Number(row.log_lines),
  };
}

const toSchedule = (row: ScheduleRow): JobSchedule => ({
  name: row.name,
  kind: row.kind,
  params: row.params,
  schedule: row.schedule,
  lastTickAt: Number(row.last_tick_at),
  updatedAt: Number(row.updated_at),
});

async function insert(db: Queryable, job: NewJob): Promise<JobRecord> {
  const rows = await db.query<JobRow>(
    `INSERT INTO outpost_jobs (id, kind, started_by, params, state, progress, created_at)
     VALUES ($1, $2, $3, $4, 'waiting', '{"done":0}', $5) RETURNING ${COLUMNS}`,
    [job.id, job.kind, job.startedBy, JSON.stringify(job.params), job.createdAt],
  );
  return toRecord(rows[0]!);
}

export function createPostgresJobStore(db: PostgresDatabase): JobStore {
  const get = async (id: string) => {
    const rows = await db.query<JobRow>(`SELECT ${COLUMNS} FROM outpost_jobs WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  };
  return {
    create: (job) => insert(db, job),
    get,
    async list({ kind, state, limit, before }) {
      const rows = await db.query<JobRow>(
        `SELECT ${COLUMNS} FROM outpost_jobs
          WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $4`,
        [kind ?? null, state ?? null, before ?? null, limit],
      );
      return rows.map(toRecord);
    },
    claim: (holder, kinds, leaseMs, at) =>
      db.transaction(async (tx) => {
        // Interrupted jobs that may not run again are settled first (their holders are gone).
        await tx.query(
          `UPDATE outpost_jobs
              SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
                  error = CASE WHEN cancel_requested THEN NULL ELSE 'interrupted' END,
                  ended_at = $2, holder = NULL, lease_until = NULL, cancel_requested = false
            WHERE state = 'running' AND lease_until < now() AND kind = ANY($1)
              AND (attempt >= 2 OR cancel_requested)`,
          [kinds, at],
        );
        const rows = await tx.query<JobRow>(
          `WITH next AS (
             SELECT id FROM outpost_jobs
              WHERE kind = ANY($1) AND (state = 'waiting' OR (state = 'running' AND lease_until < now()))
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           UPDATE outpost_jobs j
              SET state = 'running', attempt = j.attempt + 1, started_at = $4, holder = $2,
                  lease_until = now() + make_interval(secs => $3 / 1000.0)
             FROM next WHERE j.id = next.id
           RETURNING ${COLUMNS.replace(/(\w+)/g, 'j.$1')}`,
          [kinds, holder, leaseMs, at],
        );
        return rows[0] && toRecord(rows[0]);
      }),
    async expireAllLeases() {
      await db.query(`UPDATE outpost_jobs SET lease_until = now() - interval '1 second' WHERE state = 'running'`);
    },
    heartbeat: (id, holder, leaseMs, { progress, lines = [] }) =>
      db.transaction(async (tx) => {
        const rows = await tx.query<{ log_lines: string; cancel_requested: boolean }>(
          `UPDATE outpost_jobs
              SET lease_until = now() + make_interval(secs => $3 / 1000.0),
                  progress = COALESCE($4::jsonb, progress), log_lines = log_lines + $5
            WHERE id = $1 AND holder = $2 AND state = 'running'
            RETURNING log_lines, cancel_requested`,
          [id, holder, leaseMs, progress ? JSON.stringify(progress) : null, lines.length],
        );
        const row = rows[0];
        if (!row) return 'lost' as const;
        if (lines.length > 0) {
          const first = Number(row.log_lines) - lines.length;
          await tx.query(
            `INSERT INTO outpost_job_logs (job_id, seq, line)
             SELECT $1, $2 + n - 1, line FROM unnest($3::text[]) WITH ORDINALITY AS t(line, n)`,
            [id, first, lines.map(toLogLine)],
          );
          await tx.query('DELETE FROM outpost_job_logs WHERE job_id = $1 AND seq < $2', [
            id,
            Number(row.log_lines) - MAX_LOG_LINES,
          ]);
        }
        return row.cancel_requested ? ('cancel-requested' as const) : ('running' as const);
      }),
    async release(id, holder, at) {
      const rows = await db.query(
        `UPDATE outpost_jobs
            SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'waiting' END,
                ended_at = CASE WHEN cancel_requested THEN $3::bigint ELSE NULL END,
                attempt = CASE WHEN cancel_requested THEN attempt ELSE attempt - 1 END,
                started_at = CASE WHEN cancel_requested THEN started_at ELSE NULL END,
                holder = NULL, lease_until = NULL, cancel_requested = false
          WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING id`,
        [id, holder, at],
      );
      return rows.length === 1;
    },
    async finish(id, holder, outcome, at) {
      const rows = await db.query(
        `UPDATE outpost_jobs
            SET state = $3, summary = $4, error = $5, ended_at = $6, holder = NULL, lease_until = NULL,
                cancel_requested = false
          WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING id`,
        [
          id,
          holder,
          outcome.state,
          outcome.state === 'done' ? JSON.stringify(outcome.summary) : null,
          outcome.state === 'failed' ? outcome.error : null,
          at,
        ],
      );
      return rows.length === 1;
    },
    async requestCancel(id, at) {
      await db.query(
        `UPDATE outpost_jobs
            SET state = CASE WHEN state = 'waiting' THEN 'cancelled' ELSE state END,
                ended_at = CASE WHEN state = 'waiting' THEN $2::bigint ELSE ended_at END,
                cancel_requested = (state = 'running')
          WHERE id = $1 AND state IN ('waiting', 'running')`,
        [id, at],
      );
      return get(id);
    },
    async readLog(id, offset, limit) {
      const jobs = await db.query<{ log_lines: string }>('SELECT log_lines FROM outpost_jobs WHERE id = $1', [id]);
      if (!jobs[0]) return undefined;
      const first = Math.max(offset, Number(jobs[0].log_lines) - MAX_LOG_LINES, 0);
      const rows = await db.query<{ line: string }>(
        'SELECT line FROM outpost_job_logs WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
        [id, first, limit],
      );
      return { offset: first, lines: rows.map((r) => r.line), next: first + rows.length };
    },
    async deleteEndedBefore(before, limit) {
      // The logs go with their jobs (ON DELETE CASCADE).
      const rows = await db.query(
        `DELETE FROM outpost_jobs WHERE id IN (
           SELECT id FROM outpost_jobs
            WHERE state IN ('done', 'failed', 'cancelled') AND ended_at < $1 ORDER BY id LIMIT $2)
         RETURNING id`,
        [before, limit],
      );
      return rows.length;
    },
    async listSchedules() {
      return (await db.query<ScheduleRow>('SELECT * FROM outpost_job_schedules ORDER BY name')).map(toSchedule);
    },
    async getSchedule(name) {
      const rows = await db.query<ScheduleRow>('SELECT * FROM outpost_job_schedules WHERE name = $1', [name]);
      return rows[0] && toSchedule(rows[0]);
    },
    async putSchedule(s) {
      await db.query(
        `INSERT INTO outpost_job_schedules (name, kind, params, schedule, last_tick_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, params = EXCLUDED.params,
           schedule = EXCLUDED.schedule, last_tick_at = EXCLUDED.last_tick_at, updated_at = EXCLUDED.updated_at`,
        [s.name, s.kind, JSON.stringify(s.params), s.schedule, s.lastTickAt, s.updatedAt],
      );
    },
    async deleteSchedule(name) {
      return (await db.query('DELETE FROM outpost_job_schedules WHERE name = $1 RETURNING name', [name])).length === 1;
    },
    fireSchedule: (name, tickAt, job) =>
      db.transaction(async (tx) => {
        // One statement decides which replica fires the tick: the others update no row.
        const rows = await tx.query(
          'UPDATE outpost_job_schedules SET last_tick_at = $2 WHERE name = $1 AND last_tick_at < $2 RETURNING name',
          [name, tickAt],
        );
        if (rows.length === 0) return false;
        await insert(tx, job);
        return true;
      }),
  };
}
