/**
 * @module The tables of `outpost main migrate` (migration-target.ts): which installation is being
 * copied into this database, and how far each step got. A step's progress is written in the
 * transaction that loads its batch, so a re-run resumes exactly after the last committed batch.
 */
import type { Migration } from './migrations.js';

export const MIGRATE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'migrate-001-progress',
    sql: `
      CREATE TABLE outpost_migration (
        -- One row at most: a database receives one installation.
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        source text NOT NULL,
        started_at bigint NOT NULL,
        finished_at bigint
      );
      CREATE TABLE outpost_migration_progress (
        step text PRIMARY KEY,
        last_key text NOT NULL,
        copied bigint NOT NULL
      );`,
  },
];
