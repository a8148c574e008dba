/**
 * @module The redirect samples of `CacheStore` in PostgreSQL (table `outpost_cache_redirect_samples`,
 * caches-schema.ts): one row per node, minute and replica, replaced within the minute. A removed
 * cache's rows go by the foreign key; a removed node's go with its health (caches.ts `forgetNodes`).
 */
import {
  USAGE_SAMPLE_DELETE_BATCH,
  USAGE_SAMPLE_RETENTION_MS,
  type CacheRedirectSample,
  type CacheStore,
} from '../caches.js';
import type { PostgresDatabase } from './database.js';

const minuteOf = (at: number) => Math.floor(at / 60_000);

export function createPostgresRedirectSamples(
  db: PostgresDatabase,
): Pick<CacheStore, 'recordRedirectSample' | 'listRedirectSamples'> {
  return {
    async recordRedirectSample(key, sample) {
      const slash = key.indexOf('/');
      const [cache, node] = [key.slice(0, slash), key.slice(slash + 1)];
      await db.transaction(async (tx) => {
        // Bounded: at most a batch of the node's rows past the retention per write.
        await tx.query(
          `DELETE FROM outpost_cache_redirect_samples WHERE (cache, node, minute, replica) IN (
             SELECT cache, node, minute, replica FROM outpost_cache_redirect_samples
              WHERE cache = $1 AND node = $2 AND minute < $3 ORDER BY minute LIMIT $4)`,
          [cache, node, minuteOf(sample.at - USAGE_SAMPLE_RETENTION_MS), USAGE_SAMPLE_DELETE_BATCH],
        );
        await tx.query(
          `INSERT INTO outpost_cache_redirect_samples (cache, node, minute, replica, at, redirects)
           SELECT $1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::bigint
            WHERE EXISTS (SELECT 1 FROM outpost_content_caches WHERE name = $1)
           ON CONFLICT (cache, node, minute, replica) DO UPDATE SET at = EXCLUDED.at, redirects = EXCLUDED.redirects`,
          [cache, node, minuteOf(sample.at), sample.replica, sample.at, sample.redirects],
        );
      });
    },

    async listRedirectSamples(cache, since) {
      const rows = await db.query<{ node: string; replica: string; at: string; redirects: string }>(
        `SELECT node, replica, at, redirects FROM outpost_cache_redirect_samples
          WHERE cache = $1 AND at >= $2 ORDER BY node, minute, replica COLLATE "C"`,
        [cache, since],
      );
      const byNode = new Map<string, CacheRedirectSample[]>();
      for (const row of rows) {
        const key = `${cache}/${row.node}`;
        const list = byNode.get(key) ?? [];
        list.push({ at: Number(row.at), replica: row.replica, redirects: Number(row.redirects) });
        byNode.set(key, list);
      }
      return byNode;
    },
  };
}
