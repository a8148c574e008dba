/**
 * @module `RegistryMetadata` in PostgreSQL (tables in registry-schema.ts), for several replicas
 * writing at once. Where LMDB relied on its single writer, row locks decide, in read committed:
 *
 * - Pushes, tag deletes and settings of one repository lock its row (FOR NO KEY UPDATE, which
 *   still lets blob links refer to it): two replicas pushing one tag run one after the other, so
 *   the tag ends on one of the two manifests, both are stored, and both pushes are in the log;
 *   an immutable tag is checked under the same lock.
 * - The garbage collector against a push naming a blob it is considering: a push locks the links
 *   it relies on (FOR SHARE) before writing its references; the collector deletes the links
 *   first (waiting for such pushes to commit) and only then looks for references, in a new
 *   snapshot that sees theirs. Either the push finds the links gone and is refused, or the
 *   collector finds its references and rolls back. A referenced blob is never removed.
 * - A link locks the blob's row (upsert), as the collector does before reading `linked_at`: a
 *   blob linked again while being considered is kept.
 */
import type { RegistryMetadata, RepositoryEntry } from '../registry.js';
import type { PostgresDatabase, Queryable } from './database.js';
import { createPostgresMaintenance } from './registry-maintenance.js';
import { createPostgresManifests } from './registry-manifests.js';
import { postgresPruneManifests } from './registry-prune.js';
import { firstRow, insertEvent, toRepository, type BeforeCreate, type RepositoryRow } from './registry-rows.js';

export interface PostgresRegistryOptions {
  /**
   * Runs inside `deleteRepository`'s transaction to remove what other owners keep about the
   * repository (the team grants on it), with that transaction's client.
   */
  onRepositoryDeleted?: (tx: Queryable, name: string) => Promise<void>;
  /**
   * Runs inside every transaction that may create a repository, before the row is written: the
   * accounts owner locks the namespace's account there, so that removing the account and
   * creating a repository in its namespace never both succeed.
   */
  beforeCreate?: BeforeCreate;
}

/** How many repositories `<namespace>/...` holds, with the caller's transaction client. */
export async function countRepositoriesInNamespace(tx: Queryable, namespace: string): Promise<number> {
  const [row] = await tx.query<{ count: string }>(
    'SELECT count(*) AS count FROM registry_repositories WHERE namespace = $1',
    [namespace],
  );
  return Number(row?.count ?? 0);
}

/**
 * Repositories and blobs are here; manifests, tags, referrers and events in registry-manifests.ts;
 * garbage collection, repair and upload sessions in registry-maintenance.ts.
 */
export function createPostgresRegistryMetadata(
  db: PostgresDatabase,
  options: PostgresRegistryOptions = {},
): RegistryMetadata {
  const one = <R extends object>(sql: string, params: unknown[]) => firstRow<R>(db, sql, params);
  const beforeCreate: BeforeCreate = options.beforeCreate ?? (async () => {});

  return {
    ...createPostgresManifests(db, beforeCreate),
    ...createPostgresMaintenance(db),
    pruneManifests: postgresPruneManifests(db),

    async getRepository(name) {
      const row = await one<RepositoryRow>('SELECT * FROM registry_repositories WHERE name = $1', [name]);
      return row && toRepository(row);
    },

    createRepository: (name, record, actor) =>
      db.transaction(async (tx) => {
        await beforeCreate(tx, name);
        const inserted = await tx.query(
          `INSERT INTO registry_repositories (name, created_at, visibility, immutable_tags, block_pulls_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING name`,
          [
            name,
            record.createdAt,
            record.visibility ?? null,
            record.immutableTags ?? null,
            record.blockPullsAtSeverity ?? null,
          ],
        );
        if (inserted.length === 0) return false;
        await insertEvent(tx, name, { type: 'create', actor, at: record.createdAt });
        return true;
      }),

    updateRepository: (name, patch, actor, at) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<RepositoryRow>(
          `UPDATE registry_repositories
              SET visibility = COALESCE($2, visibility), immutable_tags = COALESCE($3, immutable_tags),
                  block_pulls_at = COALESCE($4, block_pulls_at)
            WHERE name = $1 RETURNING *`,
          [name, patch.visibility ?? null, patch.immutableTags ?? null, patch.blockPullsAtSeverity ?? null],
        );
        if (!row) return undefined;
        await insertEvent(tx, name, { type: 'settings', actor, at });
        return toRepository(row);
      }),

    deleteRepository: (name) =>
      db.transaction(async (tx) => {
        await options.onRepositoryDeleted?.(tx, name);
        await tx.query('DELETE FROM registry_repositories WHERE name = $1', [name]);
      }),

    async listRepositories({ namespace, after, limit }) {
      const rows = await db.query<RepositoryRow>(
        `SELECT * FROM registry_repositories
          WHERE ($1::text IS NULL OR namespace = $1) AND ($2::text IS NULL OR name > $2)
          ORDER BY name LIMIT $3`,
        [namespace ?? null, after ?? null, limit],
      );
      return rows.map((row): RepositoryEntry => ({ name: row.name, ...toRepository(row) }));
    },

    async listNamespaces({ after, limit }) {
      // In the order of their repositories' names, as LMDB lists them: `<ns>/` sorts where its names do.
      const rows = await db.query<{ namespace: string }>(
        `SELECT namespace FROM registry_repositories
          WHERE namespace IS NOT NULL AND ($1::text IS NULL OR namespace || '/' > $1 || '/')
          GROUP BY namespace ORDER BY namespace || '/' COLLATE "C" LIMIT $2`,
        [after ?? null, limit],
      );
      return rows.map((row) => row.namespace);
    },

    async countRepositories() {
      const row = await one<{ count: string }>('SELECT count(*) AS count FROM registry_repositories', []);
      return Number(row?.count ?? 0);
    },

    async getBlob(digest) {
      const row = await one<{ size: string; created_at: string; linked_at: string }>(
        'SELECT size, created_at, linked_at FROM registry_blobs WHERE digest = $1',
        [digest],
      );
      return row && { size: Number(row.size), createdAt: Number(row.created_at), linkedAt: Number(row.linked_at) };
    },

    async hasBlob(repo, digest) {
      return (
        (await one('SELECT 1 FROM registry_repo_blobs WHERE repo = $1 AND digest = $2', [repo, digest])) !== undefined
      );
    },

    async repositoryBytes(repo, scan) {
      const row = await one<{ bytes: string | null; more: boolean }>(
        `SELECT (SELECT sum(b.size) FROM (SELECT digest FROM registry_repo_blobs WHERE repo = $1
                   ORDER BY digest LIMIT $2) l JOIN registry_blobs b ON b.digest = l.digest) AS bytes,
                EXISTS (SELECT 1 FROM registry_repo_blobs WHERE repo = $1 ORDER BY digest OFFSET $2 LIMIT 1) AS more`,
        [repo, scan],
      );
      return { bytes: Number(row?.bytes ?? 0), complete: row?.more !== true };
    },

    async blobSizeIn(repo, digest) {
      const row = await one<{ size: string }>(
        `SELECT b.size FROM registry_repo_blobs l JOIN registry_blobs b ON b.digest = l.digest
          WHERE l.repo = $1 AND l.digest = $2`,
        [repo, digest],
      );
      return row && Number(row.size);
    },

    linkBlob: (repo, digest, size, at) =>
      db.transaction(async (tx) => {
        await beforeCreate(tx, repo);
        await tx.query('INSERT INTO registry_repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          repo,
          at,
        ]);
        // xmax = 0 only for a row this statement inserted (not one it updated).
        const [blob] = await tx.query<{ inserted: boolean }>(
          `INSERT INTO registry_blobs (digest, size, created_at, linked_at) VALUES ($1, $2, $3, $3)
           ON CONFLICT (digest) DO UPDATE SET size = EXCLUDED.size, linked_at = EXCLUDED.linked_at
           RETURNING (xmax = 0) AS inserted`,
          [digest, size, at],
        );
        const [link] = await tx.query<{ inserted: boolean }>(
          `INSERT INTO registry_repo_blobs (repo, digest, linked_at) VALUES ($1, $2, $3)
           ON CONFLICT (repo, digest) DO UPDATE SET linked_at = EXCLUDED.linked_at
           RETURNING (xmax = 0) AS inserted`,
          [repo, digest, at],
        );
        return { newBlob: blob?.inserted === true, newLink: link?.inserted === true };
      }),

    revertLink: (repo, digest, link) =>
      db.transaction(async (tx) => {
        if (link.newLink)
          await tx.query('DELETE FROM registry_repo_blobs WHERE repo = $1 AND digest = $2', [repo, digest]);
        if (link.newBlob) await tx.query('DELETE FROM registry_blobs WHERE digest = $1', [digest]);
      }),

    async unlinkBlob(repo, digest) {
      const rows = await db.query('DELETE FROM registry_repo_blobs WHERE repo = $1 AND digest = $2 RETURNING 1', [
        repo,
        digest,
      ]);
      return rows.length > 0;
    },

    async blobTotals() {
      const row = await one<{ blobs: string; bytes: string }>(
        'SELECT count(*) AS blobs, COALESCE(sum(size), 0) AS bytes FROM registry_blobs',
        [],
      );
      return { blobs: Number(row?.blobs ?? 0), bytes: Number(row?.bytes ?? 0) };
    },
  };
}
