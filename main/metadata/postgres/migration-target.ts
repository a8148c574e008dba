/**
 * @module A PostgreSQL database opened as the target of `outpost main migrate`: the schema
 * migrated, the owners' loads (*-load.ts), and the migration's own state (migrate-schema.ts).
 * A database is claimed for one source installation: a database that holds another
 * installation, or another migration's state, is refused before anything is written.
 */
import { randomUUID } from 'node:crypto';
import type { MigrationRecords, StepName } from '../migration.js';
import { ACCOUNT_LOADS } from './accounts-load.js';
import { acquireLease, releaseLease } from './cluster.js';
import { PostgresDatabase } from './database.js';
import { readKeyEncryptionKey } from './key-encryption.js';
import { signingKeyLoad } from './keys-load.js';
import type { MigrationTargets } from './load-target.js';
import { applyMigrations } from './migrations.js';
import { ALL_MIGRATIONS, MissingSecretKeyFileError } from './open.js';
import { PRUNING_LOADS } from './pruning-load.js';
import { REGISTRY_LOADS } from './registry-load.js';
import { SMALL_LOADS } from './small-load.js';

/** The database holds an installation other than the one being migrated. */
export class ForeignInstallationError extends Error {
  readonly code = 'OUTPOST_MIGRATION_TARGET_IN_USE';
  constructor(detail: string) {
    super(`the target database already holds ${detail}; migrate into an empty database`);
    this.name = 'ForeignInstallationError';
  }
}

/** Another run of `outpost main migrate` holds this database now (or died less than a lease ago). */
export class MigrationInProgressError extends Error {
  readonly code = 'OUTPOST_MIGRATION_IN_PROGRESS';
  constructor() {
    super(
      `another outpost main migrate is writing to the target database; wait for it to end ` +
        `(a run that died frees the database within ${LEASE_MS / 1000} s)`,
    );
    this.name = 'MigrationInProgressError';
  }
}

export interface StepProgress {
  /** The source key of the last record loaded, where the step resumes. */
  last?: string;
  copied: number;
}

export interface PostgresMigrationTarget {
  readonly description: string;
  /**
   * Claims the database for the installation `source` (see LmdbMigrationSource.identity):
   * `fresh` for an empty database, `resume` when an earlier run for the same source was cut
   * short or finished. Throws `ForeignInstallationError` otherwise.
   */
  claim(source: string, now: number): Promise<'fresh' | 'resume'>;
  progress(step: StepName): Promise<StepProgress>;
  /** Loads one batch and records `last` in the same transaction. */
  loadBatch<K extends StepName>(step: K, records: readonly MigrationRecords[K][], last: string): Promise<void>;
  count(step: StepName): Promise<number>;
  finish(now: number): Promise<void>;
  close(): Promise<void>;
}

// Two runs at once would interleave their batches and progress: one run holds this lease,
// renewed before every batch (a batch takes far less), released at close.
const LEASE = 'migrate';
const LEASE_MS = 30_000;

// Any row here means an installation (main creates its admin and a signing key at start).
const INSTALLATION_TABLES = ['users', 'organizations', 'registry_repositories', 'outpost_signing_keys'] as const;

export async function openPostgresMigrationTarget(
  url: string,
  secretKeyFile: string | undefined,
): Promise<PostgresMigrationTarget> {
  if (secretKeyFile === undefined) throw new MissingSecretKeyFileError();
  const kek = await readKeyEncryptionKey(secretKeyFile);
  const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
  try {
    await applyMigrations(db, ALL_MIGRATIONS);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  const holder = randomUUID();
  let holding = false;
  const hold = async () => {
    holding = await acquireLease(db, LEASE, holder, LEASE_MS);
    if (!holding) throw new MigrationInProgressError();
  };
  const targets: MigrationTargets = {
    ...ACCOUNT_LOADS,
    ...REGISTRY_LOADS,
    ...SMALL_LOADS,
    ...PRUNING_LOADS,
    signingKeys: signingKeyLoad(kek),
  };
  return {
    description: `PostgreSQL at ${db.description}`,
    claim: async (source, now) => {
      await hold();
      return db.transaction(async (tx) => {
        await tx.query('LOCK TABLE outpost_migration IN EXCLUSIVE MODE');
        const [claimed] = await tx.query<{ source: string }>('SELECT source FROM outpost_migration');
        if (claimed) {
          if (claimed.source === source) return 'resume';
          throw new ForeignInstallationError(`a migration of another installation (first key ${claimed.source})`);
        }
        for (const table of INSTALLATION_TABLES) {
          const [row] = await tx.query(`SELECT 1 FROM ${table} LIMIT 1`);
          if (row) throw new ForeignInstallationError(`an installation (its table ${table} has rows)`);
        }
        await tx.query('INSERT INTO outpost_migration (source, started_at) VALUES ($1, $2)', [source, now]);
        return 'fresh' as const;
      });
    },
    async progress(step) {
      const [row] = await db.query<{ last_key: string; copied: string }>(
        'SELECT last_key, copied FROM outpost_migration_progress WHERE step = $1',
        [step],
      );
      return row ? { last: row.last_key, copied: Number(row.copied) } : { copied: 0 };
    },
    loadBatch: async (step, records, last) => {
      await hold();
      await db.transaction(async (tx) => {
        await targets[step].load(tx, records as never);
        await tx.query(
          `INSERT INTO outpost_migration_progress (step, last_key, copied) VALUES ($1, $2, $3)
           ON CONFLICT (step) DO UPDATE SET last_key = EXCLUDED.last_key,
             copied = outpost_migration_progress.copied + EXCLUDED.copied`,
          [step, last, records.length],
        );
      });
    },
    async count(step) {
      const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${targets[step].table}`);
      return Number(row?.n ?? 0);
    },
    async finish(now) {
      await db.query('UPDATE outpost_migration SET finished_at = $1', [now]);
    },
    async close() {
      if (holding) await releaseLease(db, LEASE, holder).catch(() => {});
      await db.close();
    },
  };
}
