/**
 * @module The usage samples of `CacheStore` in PostgreSQL (table `outpost_cache_usage_samples`,
 * caches-schema.ts): one row per node and minute, replaced within the minute. A removed cache's
 * rows go by the foreign key; a removed node's go with its health (caches.ts `forgetNodes`).
 */
import {
  USAGE_SAMPLE_DELETE_BATCH,
  USAGE_SAMPLE_RETENTION_MS,
  type CacheStore,
  type CacheUsageSample,
} from '../caches.js';
import type { PostgresDatabase } from './database.js';

const COUNTERS = [
  ['hits', 'hits'],
  ['misses', 'misses'],
  ['servedBytes', 'served_bytes'],
  ['upstreamBytes', 'upstream_bytes'],
  ['evictions', 'evictions'],
  ['blobs', 'blobs'],
  ['storeBytes', 'store_bytes'],
  ['maxBytes', 'max_bytes'],
] as const satisfies readonly (readonly [keyof CacheUsageSample, string])[];

const COLUMNS = COUNTERS.map(([, column]) => column);
const minuteOf = (at: number) => Math.floor(at / 60_000);

type SampleRow = { node: string; at: string } & Record<string, string>;

export function createPostgresUsageSamples(
  db: PostgresDatabase,
): Pick<CacheStore, 'recordUsageSample' | 'listUsageSamples'> {
  return {
    async recordUsageSample(key, sample) {
      const slash = key.indexOf('/');
      const [cache, node] = [key.slice(0, slash), key.slice(slash + 1)];
      await db.transaction(async (tx) => {
        // Bounded: at most a batch of the node's rows past the retention per write.
        await tx.query(
          `DELETE FROM outpost_cache_usage_samples WHERE (cache, node, minute) IN (
             SELECT cache, node, minute FROM outpost_cache_usage_samples
              WHERE cache = $1 AND node = $2 AND minute < $3 ORDER BY minute LIMIT $4)`,
          [cache, node, minuteOf(sample.at - USAGE_SAMPLE_RETENTION_MS), USAGE_SAMPLE_DELETE_BATCH],
        );
        const values = COUNTERS.map(([field]) => sample[field]);
        const params = COLUMNS.map((_, i) => `$${i + 5}::bigint`).join(', ');
        await tx.query(
          `INSERT INTO outpost_cache_usage_samples (cache, node, minute, at, ${COLUMNS.join(', ')})
           SELECT $1::text, $2::text, $3::bigint, $4::bigint, ${params}
            WHERE EXISTS (SELECT 1 FROM outpost_content_caches WHERE name = $1)
           ON CONFLICT (cache, node, minute) DO UPDATE SET at = EXCLUDED.at,
             ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
          [cache, node, minuteOf(sample.at), sample.at, ...values],
        );
      });
    },

    async listUsageSamples(cache, since) {
      const rows = await db.query<SampleRow>(
        `SELECT node, at, ${COLUMNS.join(', ')} FROM outpost_cache_usage_samples
          WHERE cache = $1 AND at >= $2 ORDER BY node, minute`,
        [cache, since],
      );
      const byNode = new Map<string, CacheUsageSample[]>();
      for (const row of rows) {
        const sample = { at: Number(row.at) } as CacheUsageSample;
        for (const [field, column] of COUNTERS) sample[field] = Number(row[column]);
        const key = `${cache}/${row.node}`;
        const list = byNode.get(key) ?? [];
        list.push(sample);
        byNode.set(key, list);
      }
      return byNode;
    },
  };
}
