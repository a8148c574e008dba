/**
 * @module Copies an embedded installation's metadata into PostgreSQL (`outpost main migrate`):
 * each step dumps one source table in batches and loads them into the target, in STEP_ORDER
 * (a table's references are copied before it). Every batch commits with its progress, so a run
 * that stops anywhere resumes after the last committed batch; at the end every table's rows
 * are counted on both sides. Knows no table: the owners' dumps and loads do.
 */
import type { LmdbMigrationSource } from './lmdb/migration-source.js';
import { STEP_ORDER, type MigrationRecords, type StepName } from './migration.js';
import type { PostgresMigrationTarget } from './postgres/migration-target.js';

/** A step's rows differ in number between source and target after the copy. */
export class MigrationCountMismatchError extends Error {
  readonly code = 'OUTPOST_MIGRATION_COUNT_MISMATCH';
  constructor(readonly mismatches: readonly { step: StepName; source: number; target: number }[]) {
    super(
      `the copy does not match its source: ${mismatches
        .map((m) => `${m.step} ${m.source} in the source, ${m.target} in the target`)
        .join('; ')}`,
    );
    this.name = 'MigrationCountMismatchError';
  }
}

/** The installation has no signing key: it never started, and there is nothing to move. */
export class EmptySourceError extends Error {
  readonly code = 'OUTPOST_MIGRATION_SOURCE_EMPTY';
  constructor() {
    super('the data directory holds no installation (no signing key): start main on it once, or check --data');
    this.name = 'EmptySourceError';
  }
}

export interface MetadataMigrationOptions {
  batchSize?: number;
  now?: () => number;
  /** Told after every batch (and once for a step already done): records copied so far, of `total`. */
  onProgress?: (step: StepName, copied: number, total: number) => void;
  /** Called before each batch is loaded; tests make it throw to cut a run short. */
  beforeBatch?: (step: StepName, batch: number) => void | Promise<void>;
}

export interface MetadataMigrationResult {
  resumed: boolean;
  counts: { step: StepName; copied: number }[];
}

async function copyStep<K extends StepName>(
  step: K,
  source: LmdbMigrationSource,
  target: PostgresMigrationTarget,
  options: MetadataMigrationOptions,
): Promise<void> {
  const dump = source.records[step];
  const total = await dump.count();
  let { last, copied } = await target.progress(step);
  let batch = 0;
  options.onProgress?.(step, copied, total);
  for await (const { records, last: next } of dump.dump(last, options.batchSize ?? 500)) {
    await options.beforeBatch?.(step, batch++);
    await target.loadBatch(step, records as MigrationRecords[K][], next);
    last = next;
    copied += records.length;
    options.onProgress?.(step, copied, total);
  }
}

export async function migrateMetadata(
  source: LmdbMigrationSource,
  target: PostgresMigrationTarget,
  options: MetadataMigrationOptions = {},
): Promise<MetadataMigrationResult> {
  const now = options.now ?? Date.now;
  const identity = await source.identity();
  if (identity === undefined) throw new EmptySourceError();
  const claim = await target.claim(identity, now());
  for (const step of STEP_ORDER) await copyStep(step, source, target, options);
  const counts: { step: StepName; copied: number }[] = [];
  const mismatches: { step: StepName; source: number; target: number }[] = [];
  for (const step of STEP_ORDER) {
    const [inSource, inTarget] = [await source.records[step].count(), await target.count(step)];
    if (inSource !== inTarget) mismatches.push({ step, source: inSource, target: inTarget });
    counts.push({ step, copied: inTarget });
  }
  if (mismatches.length > 0) throw new MigrationCountMismatchError(mismatches);
  await target.finish(now());
  return { resumed: claim === 'resume', counts };
}
