/**
 * @module Holds on garbage collection, for the embedded backend: while a backup copies the blobs
 * of its metadata snapshot, no blob may be collected (main/backup/backup.ts).
 *
 *	gcHolds        <holder id>                          { until: ms since the epoch }
 *
 * A hold is written in a write transaction BEFORE the snapshot's read transaction starts. LMDB
 * has one writer at a time, so every `collectBlob` transaction either committed before the hold
 * (its removal is in the snapshot: the backup does not want that blob) or runs after it and sees
 * the hold (and keeps the blob). A hold ends when its holder removes it, or at `until`, which the
 * holder renews while it works: a backup that was killed holds nothing for long.
 */
import type { Database, RootDatabase } from '../../../src/store/lmdb.js';

export interface GcHold {
  until: number;
}

export type GcHolds = Database<GcHold, string>;

export function openGcHolds(root: RootDatabase): GcHolds {
  return root.openDB<GcHold, string>({ name: 'gcHolds', encoding: 'msgpack' });
}

/** Whether a hold is in force at `now`; inside a transaction it is the committed state. */
export function isGarbageCollectionHeld(holds: GcHolds, now: number): boolean {
  for (const { value } of holds.getRange()) if (value.until > now) return true;
  return false;
}
