/**
 * @module Versioned schema migrations, applied at start by whichever replica gets there first.
 *
 * Each owner family lists its migrations in order (`<family>-NNN-<what>`); main applies the
 * families' lists one after the other. All pending migrations run in ONE transaction under a
 * transaction-level advisory lock: replicas starting together queue on the lock, and the ones
 * that follow find the work done. PostgreSQL's DDL is transactional, so a failed migration
 * leaves the schema exactly as it was.
 */
import type { PostgresDatabase, Queryable } from './database.js';

export interface Migration {
  /** Unique and never reused: `<family>-NNN-<what>`, e.g. `registry-001-tables`. */
  readonly id: string;
  readonly sql: string;
}

/** The schema is newer than this program (a newer version migrated it): refuse to touch it. */
export class SchemaTooNewError extends Error {
  readonly code = 'OUTPOST_SCHEMA_TOO_NEW';
  constructor(readonly unknownIds: readonly string[]) {
    super(
      `the database was migrated by a newer outpost (unknown migrations: ${unknownIds.slice(0, 5).join(', ')}); ` +
        'run the newer version, or restore a backup taken before the upgrade',
    );
    this.name = 'SchemaTooNewError';
  }
}

// An arbitrary constant that identifies "outpost migrates its schema" among advisory locks.
const MIGRATION_LOCK = 7_042_017_001;
const ID_PATTERN = /^[a-z]+-\d{3}-[a-z0-9-]+$/;

function checkList(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const { id } of migrations) {
    if (!ID_PATTERN.test(id)) throw new Error(`migration id "${id}" is not <family>-NNN-<what>`);
    if (seen.has(id)) throw new Error(`migration id "${id}" is listed twice`);
    seen.add(id);
  }
}

async function appliedIds(tx: Queryable): Promise<Set<string>> {
  const rows = await tx.query<{ id: string }>('SELECT id FROM outpost_schema_migrations');
  return new Set(rows.map((row) => row.id));
}

/** Applies what is pending, in order, all or nothing; returns the ids it applied. */
export async function applyMigrations(db: PostgresDatabase, migrations: readonly Migration[]): Promise<string[]> {
  checkList(migrations);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS outpost_schema_migrations (
         id text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const applied = await appliedIds(tx);
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) throw new SchemaTooNewError(unknown.sort());
    const pending = migrations.filter((m) => !applied.has(m.id));
    for (const migration of pending) {
      await tx.query(migration.sql);
      await tx.query('INSERT INTO outpost_schema_migrations (id) VALUES ($1)', [migration.id]);
    }
    return pending.map((m) => m.id);
  });
}
