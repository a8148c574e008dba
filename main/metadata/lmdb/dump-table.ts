/**
 * @module Dumps one LMDB sub-database in key order, in batches, as typed records (for `outpost
 * main migrate`). Each batch is read in its own snapshot: a migration runs on a stopped main, so
 * nothing changes in between. Reads only; owners call it on their own tables.
 */
import type { Database } from '../../../src/store/lmdb.js';
import type { DumpSource, RecordBatch } from '../migration.js';

export function dumpTable<V, T>(table: Database<V, string>, toRecord: (key: string, value: V) => T): DumpSource<T> {
  return {
    count: async () => table.getCount(),
    async *dump(after, batchSize): AsyncIterable<RecordBatch<T>> {
      let from = after;
      for (;;) {
        const records: T[] = [];
        let last: string | undefined;
        // `start` is inclusive: the key resumed after is skipped.
        for (const { key, value } of table.getRange({ ...(from !== undefined && { start: from }) })) {
          if (key === from) continue;
          records.push(toRecord(key, value));
          last = key;
          if (records.length === batchSize) break;
        }
        if (last === undefined) return;
        yield { records, last };
        from = last;
      }
    },
  };
}
