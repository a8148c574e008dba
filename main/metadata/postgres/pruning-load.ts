/**
 * @module Loads migration records into the pruning tables (pruning-schema.ts). The embedded store
 * drops a tag's pull record with the tag, so every record has its tag here; one that had not
 * would be left out (the foreign key refuses it) and the step's count check would report it.
 */
import type { MigrationTargets } from './load-target.js';

export const PRUNING_LOADS: Pick<MigrationTargets, 'pruningPolicies' | 'tagPulls'> = {
  pruningPolicies: {
    table: 'pruning_policies',
    async load(tx, rows) {
      for (const { repo, policy } of rows)
        await tx.query('INSERT INTO pruning_policies (repo, policy) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          repo,
          JSON.stringify(policy),
        ]);
    },
  },
  tagPulls: {
    table: 'pruning_tag_pulls',
    async load(tx, rows) {
      for (const row of rows)
        await tx.query(
          `INSERT INTO pruning_tag_pulls (repo, tag, pull_count, last_pulled_at)
             SELECT repo, tag, $3, $4 FROM registry_tags WHERE repo = $1 AND tag = $2
           ON CONFLICT DO NOTHING`,
          [row.repo, row.tag, row.pullCount, row.lastPulledAt],
        );
    },
  },
};
