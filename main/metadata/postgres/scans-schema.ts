/**
 * @module The tables of the scans owner (main/metadata/postgres/scans.ts is their only user).
 * `image_scans` holds one row per manifest digest: the record's fields as columns, the layers to
 * read and the result (inventory and findings) as jsonb. The rows in state 'queued' are the queue:
 * the partial index keeps the oldest one a single index read away, however many scans are done.
 * Times are milliseconds since the epoch.
 */
import type { Migration } from './migrations.js';

export const SCANS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'scans-001-image-scans',
    sql: `
      CREATE TABLE image_scans (
        manifest_digest text COLLATE "C" PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('queued', 'scanning', 'done', 'failed')),
        reason text NOT NULL CHECK (reason IN ('push', 'request', 'vulndb')),
        queued_at bigint NOT NULL,
        started_at bigint,
        finished_at bigint,
        error text,
        layers jsonb NOT NULL,
        result jsonb,
        -- The database generation of the result (null: matched before any import).
        db_generation text,
        worker text,
        alive_at bigint
      );
      CREATE INDEX image_scans_active ON image_scans (state, queued_at, manifest_digest)
        WHERE state IN ('queued', 'scanning');
      CREATE INDEX image_scans_state ON image_scans (state);

      CREATE TABLE scan_repositories (
        repo text COLLATE "C" PRIMARY KEY,
        scan_on_push boolean NOT NULL
      );`,
  },
];
