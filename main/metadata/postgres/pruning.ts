/**
 * @module `PruningStore` on PostgreSQL (tables in pruning-schema.ts). A batch of pulls is one
 * statement: the rows of the batch are summed per tag and joined with `registry_tags`, so pulls of
 * tags deleted meanwhile are dropped, and replicas flushing at once add up (`pull_count + EXCLUDED`).
 */
import type { PruningPolicyRecord, PruningStore, TagPulls } from '../pruning.js';
import type { PostgresDatabase } from './database.js';

export function createPostgresPruningStore(db: PostgresDatabase): PruningStore {
  return {
    async getPolicy(repo) {
      const [row] = await db.query<{ policy: PruningPolicyRecord }>(
        'SELECT policy FROM pruning_policies WHERE repo = $1',
        [repo],
      );
      return row?.policy;
    },

    async putPolicy(repo, policy) {
      const rows = await db.query(
        `INSERT INTO pruning_policies (repo, policy)
           SELECT name, $2 FROM registry_repositories WHERE name = $1
         ON CONFLICT (repo) DO UPDATE SET policy = EXCLUDED.policy
         RETURNING repo`,
        [repo, JSON.stringify(policy)],
      );
      return rows.length > 0;
    },

    async recordPulls(batch) {
      if (batch.length === 0) return;
      await db.query(
        `INSERT INTO pruning_tag_pulls (repo, tag, pull_count, last_pulled_at)
           SELECT b.repo, b.tag, sum(b.count), max(b.last_pulled_at)
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS b (repo, tag, count, last_pulled_at)
             JOIN registry_tags t ON t.repo = b.repo AND t.tag = b.tag
            GROUP BY b.repo, b.tag
         ON CONFLICT (repo, tag) DO UPDATE SET
           pull_count = pruning_tag_pulls.pull_count + EXCLUDED.pull_count,
           last_pulled_at = GREATEST(pruning_tag_pulls.last_pulled_at, EXCLUDED.last_pulled_at)`,
        [
          batch.map((entry) => entry.repo),
          batch.map((entry) => entry.tag),
          batch.map((entry) => entry.count),
          batch.map((entry) => entry.lastPulledAt),
        ],
      );
    },

    async listPulls(repo) {
      const rows = await db.query<{ tag: string; pull_count: string; last_pulled_at: string }>(
        'SELECT tag, pull_count, last_pulled_at FROM pruning_tag_pulls WHERE repo = $1',
        [repo],
      );
      const found = new Map<string, TagPulls>();
      for (const row of rows)
        found.set(row.tag, { pullCount: Number(row.pull_count), lastPulledAt: Number(row.last_pulled_at) });
      return found;
    },
  };
}
