/**
 * @module The tables of the pruning owner (main/metadata/postgres/pruning.ts). A policy refers to
 * its repository and a tag's pull statistics to its tag, both ON DELETE CASCADE: they go with
 * what they describe in the same statement, and stay when a tag is moved (an UPDATE of its row).
 */
import type { Migration } from './migrations.js';

export const PRUNING_MIGRATIONS: readonly Migration[] = [
  {
    id: 'pruning-001-tables',
    sql: `
      CREATE TABLE pruning_policies (
        repo text COLLATE "C" PRIMARY KEY REFERENCES registry_repositories (name) ON DELETE CASCADE,
        policy jsonb NOT NULL
      );

      CREATE TABLE pruning_tag_pulls (
        repo text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        pull_count bigint NOT NULL,
        last_pulled_at bigint NOT NULL,
        PRIMARY KEY (repo, tag),
        FOREIGN KEY (repo, tag) REFERENCES registry_tags (repo, tag) ON DELETE CASCADE
      );`,
  },
];
