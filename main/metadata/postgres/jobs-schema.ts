/** @module The tables of the jobs owner (main/metadata/postgres/jobs.ts). */
import type { Migration } from './migrations.js';

export const JOBS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'jobs-001-jobs-logs-schedules',
    sql: `
      CREATE TABLE outpost_jobs (
        id text PRIMARY KEY,
        kind text NOT NULL,
        started_by text NOT NULL,
        params jsonb NOT NULL,
        state text NOT NULL,
        progress jsonb NOT NULL,
        summary jsonb,
        error text,
        created_at bigint NOT NULL,
        started_at bigint,
        ended_at bigint,
        attempt integer NOT NULL DEFAULT 0,
        cancel_requested boolean NOT NULL DEFAULT false,
        log_lines bigint NOT NULL DEFAULT 0,
        holder text,
        lease_until timestamptz
      );
      CREATE INDEX outpost_jobs_active ON outpost_jobs (id) WHERE state IN ('waiting', 'running');
      CREATE TABLE outpost_job_logs (
        job_id text NOT NULL REFERENCES outpost_jobs (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        line text NOT NULL,
        PRIMARY KEY (job_id, seq)
      );
      CREATE TABLE outpost_job_schedules (
        name text PRIMARY KEY,
        kind text NOT NULL,
        params jsonb NOT NULL,
        schedule text NOT NULL,
        last_tick_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );`,
  },
];
