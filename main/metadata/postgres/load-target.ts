/**
 * @module What a PostgreSQL owner offers `outpost main migrate` per table: an idempotent load of
 * migration records (inserts that leave rows already there alone, so a batch loaded twice
 * changes nothing) inside the caller's transaction, and the table whose rows are counted to
 * verify the copy.
 */
import type { MigrationRecords, StepName } from '../migration.js';
import type { Queryable } from './database.js';

export interface LoadTarget<T> {
  readonly table: string;
  load(tx: Queryable, records: readonly T[]): Promise<void>;
}

export type MigrationTargets = { [K in StepName]: LoadTarget<MigrationRecords[K]> };
