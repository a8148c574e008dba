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
import type { Digest } from '../../../src/oci/digest.js';
import type {
  DeleteOutcome,
  ManifestRecord,
  PutManifestOutcome,
  RegistryMetadata,
  RepositoryEntry,
  RepositoryEvent,
  RepositoryRecord,
  UploadRecord,
} from '../registry.js';
import type { PostgresDatabase, Queryable } from './database.js';

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
  beforeCreate?: (tx: Queryable, name: string) => Promise<void>;
}

type BeforeCreate = NonNullable<PostgresRegistryOptions['beforeCreate']>;

// At most this many digests are listed in a refusal; the count says how many there are.
const MAX_LISTED = 20;

/** How many repositories `<namespace>/...` holds, with the caller's transaction client. */
export async function countRepositoriesInNamespace(tx: Queryable, namespace: string): Promise<number> {
  const [row] = await tx.query<{ count: string }>(
    'SELECT count(*) AS count FROM registry_repositories WHERE namespace = $1',
    [namespace],
  );
  return Number(row?.count ?? 0);
}

interface RepositoryRow {
  name: string;
  created_at: string;
  visibility: 'public' | 'private' | null;
  immutable_tags: boolean | null;
}

const toRepository = (row: RepositoryRow): RepositoryRecord => ({
  createdAt: Number(row.created_at),
  ...(row.visibility !== null && { visibility: row.visibility }),
  ...(row.immutable_tags !== null && { immutableTags: row.immutable_tags }),
});

interface ManifestRow {
  media_type: string;
  size: string;
  bytes: Buffer;
  blobs: string[];
  children: string[];
  subject: string | null;
  artifact_type: string | null;
  annotations: Record<string, string> | null;
  created_at: string;
}

const toManifest = (row: ManifestRow): ManifestRecord => ({
  mediaType: row.media_type,
  size: Number(row.size),
  bytes: row.bytes,
  blobs: row.blobs as Digest[],
  children: row.children as Digest[],
  ...(row.subject !== null && { subject: row.subject as Digest }),
  ...(row.artifact_type !== null && { artifactType: row.artifact_type }),
  ...(row.annotations !== null && { annotations: row.annotations }),
  createdAt: Number(row.created_at),
});

interface EventRow {
  type: RepositoryEvent['type'];
  actor: string;
  at: string;
  tag: string | null;
  digest: string | null;
}

const toEvent = (row: EventRow): RepositoryEvent => ({
  type: row.type,
  actor: row.actor,
  at: Number(row.at),
  ...(row.tag !== null && { tag: row.tag }),
  ...(row.digest !== null && { digest: row.digest }),
});

const insertEvent = (tx: Queryable, repo: string, event: RepositoryEvent) =>
  tx.query('INSERT INTO registry_events (repo, type, actor, at, tag, digest) VALUES ($1, $2, $3, $4, $5, $6)', [
    repo,
    event.type,
    event.actor,
    event.at,
    event.tag ?? null,
    event.digest ?? null,
  ]);

/** Creates the repository row if needed, then locks it; returns its record. */
async function lockRepository(
  tx: Queryable,
  repo: string,
  createdAt: number,
  beforeCreate: BeforeCreate,
): Promise<RepositoryRecord> {
  await beforeCreate(tx, repo);
  await tx.query('INSERT INTO registry_repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    repo,
    createdAt,
  ]);
  const [row] = await tx.query<RepositoryRow>('SELECT * FROM registry_repositories WHERE name = $1 FOR NO KEY UPDATE', [
    repo,
  ]);
  // Deleted between the two statements by another replica: let the transaction run again.
  if (!row) throw Object.assign(new Error('repository removed concurrently'), { code: '40001' });
  return toRepository(row);
}

/** The immutable-tag check of deletes: the repository row locked, or undefined when it does not exist. */
async function lockExisting(tx: Queryable, repo: string): Promise<RepositoryRecord | undefined> {
  const [row] = await tx.query<RepositoryRow>('SELECT * FROM registry_repositories WHERE name = $1 FOR NO KEY UPDATE', [
    repo,
  ]);
  return row && toRepository(row);
}

// Thrown inside a transaction to roll it back and keep the blob.
class KeepBlob extends Error {}

export function createPostgresRegistryMetadata(
  db: PostgresDatabase,
  options: PostgresRegistryOptions = {},
): RegistryMetadata {
  const one = async <R extends object>(sql: string, params: unknown[]): Promise<R | undefined> =>
    (await db.query<R>(sql, params))[0];
  const beforeCreate: BeforeCreate = options.beforeCreate ?? (async () => {});

  return {
    async getRepository(name) {
      const row = await one<RepositoryRow>('SELECT * FROM registry_repositories WHERE name = $1', [name]);
      return row && toRepository(row);
    },

    createRepository: (name, record, actor) =>
      db.transaction(async (tx) => {
        await beforeCreate(tx, name);
        const inserted = await tx.query(
          `INSERT INTO registry_repositories (name, created_at, visibility, immutable_tags)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING name`,
          [name, record.createdAt, record.visibility ?? null, record.immutableTags ?? null],
        );
        if (inserted.length === 0) return false;
        await insertEvent(tx, name, { type: 'create', actor, at: record.createdAt });
        return true;
      }),

    updateRepository: (name, patch, actor, at) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<RepositoryRow>(
          `UPDATE registry_repositories
              SET visibility = COALESCE($2, visibility), immutable_tags = COALESCE($3, immutable_tags)
            WHERE name = $1 RETURNING *`,
          [name, patch.visibility ?? null, patch.immutableTags ?? null],
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

    async resolve(repo, reference) {
      if (reference.kind === 'digest') {
        const row = await one('SELECT 1 FROM registry_manifests WHERE repo = $1 AND digest = $2', [
          repo,
          reference.digest,
        ]);
        return row ? reference.digest : undefined;
      }
      const row = await one<{ digest: string }>('SELECT digest FROM registry_tags WHERE repo = $1 AND tag = $2', [
        repo,
        reference.tag,
      ]);
      return row?.digest as Digest | undefined;
    },

    async getManifest(repo, digest) {
      const row = await one<ManifestRow>('SELECT * FROM registry_manifests WHERE repo = $1 AND digest = $2', [
        repo,
        digest,
      ]);
      return row && toManifest(row);
    },

    putManifest: ({ repo, digest, record, tag, actor }) =>
      db.transaction(async (tx): Promise<PutManifestOutcome> => {
        const repository = await lockRepository(tx, repo, record.createdAt, beforeCreate);
        // Locked until commit: the collector cannot remove these links under this push.
        const linked = await tx.query<{ digest: string }>(
          'SELECT digest FROM registry_repo_blobs WHERE repo = $1 AND digest = ANY($2) FOR SHARE',
          [repo, record.blobs],
        );
        const stored = await tx.query<{ digest: string }>(
          'SELECT digest FROM registry_manifests WHERE repo = $1 AND digest = ANY($2) FOR SHARE',
          [repo, record.children],
        );
        const present = new Set([...linked, ...stored].map((row) => row.digest));
        const missing = [...record.blobs, ...record.children].filter((d) => !present.has(d));
        if (missing.length > 0)
          return { kind: 'missing', digests: missing.slice(0, MAX_LISTED), count: missing.length };
        const [previous] =
          tag !== undefined
            ? await tx.query<{ digest: string }>('SELECT digest FROM registry_tags WHERE repo = $1 AND tag = $2', [
                repo,
                tag,
              ])
            : [];
        if (previous && previous.digest !== digest && repository.immutableTags)
          return { kind: 'immutable', current: previous.digest as Digest };

        await tx.query(
          `INSERT INTO registry_manifests
             (repo, digest, media_type, size, bytes, blobs, children, subject, artifact_type, annotations, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (repo, digest) DO UPDATE SET media_type = EXCLUDED.media_type, size = EXCLUDED.size,
             bytes = EXCLUDED.bytes, blobs = EXCLUDED.blobs, children = EXCLUDED.children,
             subject = EXCLUDED.subject, artifact_type = EXCLUDED.artifact_type, annotations = EXCLUDED.annotations`,
          [
            repo,
            digest,
            record.mediaType,
            record.size,
            Buffer.from(record.bytes),
            record.blobs,
            record.children,
            record.subject ?? null,
            record.artifactType ?? null,
            record.annotations ? JSON.stringify(record.annotations) : null,
            record.createdAt,
          ],
        );
        await tx.query(
          `INSERT INTO registry_blob_refs (blob, repo, manifest) SELECT unnest($1::text[]), $2, $3
           ON CONFLICT DO NOTHING`,
          [record.blobs, repo, digest],
        );
        if (record.subject) {
          await tx.query(
            `INSERT INTO registry_referrers (repo, subject, digest, media_type, size, artifact_type, annotations)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (repo, subject, digest) DO UPDATE SET media_type = EXCLUDED.media_type,
               size = EXCLUDED.size, artifact_type = EXCLUDED.artifact_type, annotations = EXCLUDED.annotations`,
            [
              repo,
              record.subject,
              digest,
              record.mediaType,
              record.size,
              record.artifactType ?? null,
              record.annotations ? JSON.stringify(record.annotations) : null,
            ],
          );
        }
        if (tag === undefined) return { kind: 'stored' };
        const at = record.createdAt;
        await tx.query(
          `INSERT INTO registry_tags (repo, tag, digest, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (repo, tag) DO UPDATE SET digest = EXCLUDED.digest, updated_at = EXCLUDED.updated_at`,
          [repo, tag, digest, at],
        );
        await insertEvent(tx, repo, { type: 'push', actor, at, tag, digest });
        if (!previous || previous.digest === digest) return { kind: 'stored' };
        await insertEvent(tx, repo, { type: 'tag', actor, at, tag, digest });
        return { kind: 'stored', movedFrom: previous.digest as Digest };
      }),

    deleteManifest: (repo, digest, actor, at) =>
      db.transaction(async (tx): Promise<DeleteOutcome> => {
        const repository = await lockExisting(tx, repo);
        if (!repository) return { kind: 'unknown' };
        const [manifest] = await tx.query(
          'SELECT 1 FROM registry_manifests WHERE repo = $1 AND digest = $2 FOR UPDATE',
          [repo, digest],
        );
        if (!manifest) return { kind: 'unknown' };
        const tags = await tx.query<{ tag: string }>(
          'SELECT tag FROM registry_tags WHERE repo = $1 AND digest = $2 ORDER BY tag',
          [repo, digest],
        );
        // Deleting the manifest would delete its tags with it, which is a tag delete too.
        if (tags.length > 0 && repository.immutableTags) {
          const names = tags.map((row) => row.tag);
          return { kind: 'immutable', digest, tags: names.slice(0, MAX_LISTED), count: names.length };
        }
        // Tags, blob references and the referrer entry go with it (ON DELETE CASCADE).
        await tx.query('DELETE FROM registry_manifests WHERE repo = $1 AND digest = $2', [repo, digest]);
        await insertEvent(tx, repo, { type: 'delete', actor, at, digest });
        return { kind: 'deleted' };
      }),

    deleteTag: (repo, tag, actor, at) =>
      db.transaction(async (tx): Promise<DeleteOutcome> => {
        const repository = await lockExisting(tx, repo);
        if (!repository) return { kind: 'unknown' };
        const [tagged] = await tx.query<{ digest: string }>(
          'SELECT digest FROM registry_tags WHERE repo = $1 AND tag = $2',
          [repo, tag],
        );
        if (!tagged) return { kind: 'unknown' };
        if (repository.immutableTags)
          return { kind: 'immutable', digest: tagged.digest as Digest, tags: [tag], count: 1 };
        await tx.query('DELETE FROM registry_tags WHERE repo = $1 AND tag = $2', [repo, tag]);
        await insertEvent(tx, repo, { type: 'untag', actor, at, tag });
        return { kind: 'deleted' };
      }),

    async listTags(repo, { after, limit }) {
      const rows = await db.query<{ tag: string; digest: string; updated_at: string }>(
        `SELECT tag, digest, updated_at FROM registry_tags
          WHERE repo = $1 AND ($2::text IS NULL OR tag > $2) ORDER BY tag LIMIT $3`,
        [repo, after ?? null, limit],
      );
      return rows.map((row) => ({ name: row.tag, digest: row.digest as Digest, updatedAt: Number(row.updated_at) }));
    },

    async tagSummary(repo, scan) {
      const row = await one<{ count: string; last: string | null }>(
        `SELECT (SELECT count(*) FROM registry_tags WHERE repo = $1) AS count,
                (SELECT max(updated_at) FROM (SELECT updated_at FROM registry_tags WHERE repo = $1
                  ORDER BY tag LIMIT $2) AS head) AS last`,
        [repo, scan],
      );
      const count = Number(row?.count ?? 0);
      return { count, ...(row?.last != null && { lastUpdatedAt: Number(row.last) }) };
    },

    async listReferrers(repo, subject) {
      const rows = await db.query<{
        digest: string;
        media_type: string;
        size: string;
        artifact_type: string | null;
        annotations: Record<string, string> | null;
      }>(
        `SELECT digest, media_type, size, artifact_type, annotations FROM registry_referrers
          WHERE repo = $1 AND subject = $2 ORDER BY digest`,
        [repo, subject],
      );
      return rows.map((row) => ({
        digest: row.digest as Digest,
        mediaType: row.media_type,
        size: Number(row.size),
        ...(row.artifact_type !== null && { artifactType: row.artifact_type }),
        ...(row.annotations !== null && { annotations: row.annotations }),
      }));
    },

    async listEvents(repo, limit) {
      const rows = await db.query<EventRow>(
        `SELECT type, actor, at, tag, digest FROM registry_events WHERE repo = $1
          ORDER BY at DESC, id DESC LIMIT $2`,
        [repo, limit],
      );
      return rows.map(toEvent);
    },

    async collectableBlobs(cutoff) {
      const rows = await db.query<{ digest: string }>(
        `SELECT b.digest FROM registry_blobs b WHERE b.linked_at < $1
           AND NOT EXISTS (SELECT 1 FROM registry_blob_refs r WHERE r.blob = b.digest) ORDER BY b.digest`,
        [cutoff],
      );
      return rows.map((row) => row.digest as Digest);
    },

    async collectBlob(digest, cutoff, dryRun) {
      try {
        return await db.transaction(async (tx) => {
          const [blob] = await tx.query<{ size: string; linked_at: string }>(
            'SELECT size, linked_at FROM registry_blobs WHERE digest = $1 FOR UPDATE',
            [digest],
          );
          if (!blob || Number(blob.linked_at) >= cutoff) return undefined;
          // Links first: this waits for every push that locked one of them (see the module header).
          if (!dryRun) await tx.query('DELETE FROM registry_repo_blobs WHERE digest = $1', [digest]);
          const [ref] = await tx.query('SELECT 1 FROM registry_blob_refs WHERE blob = $1 LIMIT 1', [digest]);
          if (ref) throw new KeepBlob();
          if (!dryRun) await tx.query('DELETE FROM registry_blobs WHERE digest = $1', [digest]);
          return Number(blob.size);
        });
      } catch (err) {
        if (err instanceof KeepBlob) return undefined;
        throw err;
      }
    },

    async listBlobDigests() {
      const rows = await db.query<{ digest: string }>('SELECT digest FROM registry_blobs ORDER BY digest', []);
      return rows.map((row) => row.digest as Digest);
    },

    dropBlobs: (digests) =>
      db.transaction(async (tx) => {
        await tx.query('DELETE FROM registry_repo_blobs WHERE digest = ANY($1)', [digests]);
        await tx.query('DELETE FROM registry_blobs WHERE digest = ANY($1)', [digests]);
      }),

    async referencingRepositories(digest) {
      const rows = await db.query<{ repo: string }>(
        'SELECT DISTINCT repo FROM registry_blob_refs WHERE blob = $1 ORDER BY repo',
        [digest],
      );
      return rows.map((row) => row.repo);
    },

    reindexBlob: (digest, size, repos, at) =>
      db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO registry_blobs (digest, size, created_at, linked_at) VALUES ($1, $2, $3, $3)
           ON CONFLICT (digest) DO UPDATE SET size = EXCLUDED.size, linked_at = EXCLUDED.linked_at`,
          [digest, size, at],
        );
        await tx.query(
          `INSERT INTO registry_repo_blobs (repo, digest, linked_at)
           SELECT name, $2, $3 FROM registry_repositories WHERE name = ANY($1)
           ON CONFLICT (repo, digest) DO UPDATE SET linked_at = EXCLUDED.linked_at`,
          [repos, digest, at],
        );
      }),

    async getUpload(id) {
      const row = await one<{ repo: string; size: string; created_at: string; updated_at: string; store: unknown }>(
        'SELECT repo, size, created_at, updated_at, store FROM registry_uploads WHERE id = $1',
        [id],
      );
      if (!row) return undefined;
      const record: UploadRecord = {
        repo: row.repo as UploadRecord['repo'],
        size: Number(row.size),
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
      };
      if (row.store !== null) record.store = row.store as NonNullable<UploadRecord['store']>;
      return record;
    },

    async putUpload(id, record) {
      await db.query(
        `INSERT INTO registry_uploads (id, repo, size, created_at, updated_at, store) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET repo = EXCLUDED.repo, size = EXCLUDED.size,
           created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, store = EXCLUDED.store`,
        [
          id,
          record.repo,
          record.size,
          record.createdAt,
          record.updatedAt,
          record.store === undefined ? null : JSON.stringify(record.store),
        ],
      );
    },

    async deleteUpload(id) {
      await db.query('DELETE FROM registry_uploads WHERE id = $1', [id]);
    },

    async listIdleUploads(cutoff) {
      const rows = await db.query<{ id: string }>('SELECT id FROM registry_uploads WHERE updated_at < $1 ORDER BY id', [
        cutoff,
      ]);
      return rows.map((row) => row.id);
    },

    async ping() {
      await db.query('SELECT 1');
    },
  };
}
