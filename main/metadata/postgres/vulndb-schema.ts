/**
 * @module The tables of the vulnerability database owner (main/metadata/postgres/vulndb.ts). Every row
 * belongs to a generation; at most one generation is 'current' (a partial unique index says so); the
 * others are imports in progress. Deleting a generation's row deletes its advisories and index rows.
 */
import type { Migration } from './migrations.js';

export const VULNDB_MIGRATIONS: readonly Migration[] = [
  {
    id: 'vulndb-001-generations',
    sql: `
      CREATE TABLE vulndb_generations (
        generation text PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('importing', 'current')),
        started_at timestamptz NOT NULL DEFAULT now(),
        summary jsonb
      );
      CREATE UNIQUE INDEX vulndb_one_current ON vulndb_generations ((state)) WHERE state = 'current';
      CREATE TABLE vulndb_advisories (
        generation text NOT NULL REFERENCES vulndb_generations ON DELETE CASCADE,
        id text NOT NULL,
        advisory jsonb NOT NULL,
        PRIMARY KEY (generation, id)
      );
      CREATE TABLE vulndb_packages (
        generation text NOT NULL REFERENCES vulndb_generations ON DELETE CASCADE,
        family text NOT NULL,
        name text NOT NULL,
        id text NOT NULL,
        PRIMARY KEY (generation, family, name, id)
      );`,
  },
];
