/**
 * @module Manifests, tags, referrers and events of `RegistryMetadata` in PostgreSQL: the part of
 * main/metadata/postgres/registry.ts (whose header explains the locks) that pushes and deletes use.
 */
import type { Digest } from '../../../src/oci/digest.js';
import type { DeleteOutcome, PutManifestOutcome, RegistryMetadata } from '../registry.js';
import type { PostgresDatabase } from './database.js';
import {
  MAX_LISTED,
  firstRow,
  insertEvent,
  lockExisting,
  lockRepository,
  type BeforeCreate,
  toEvent,
  toManifest,
  type EventRow,
  type ManifestRow,
} from './registry-rows.js';

export type ManifestPart = Pick<
  RegistryMetadata,
  | 'resolve'
  | 'getManifest'
  | 'putManifest'
  | 'deleteManifest'
  | 'deleteTag'
  | 'listTags'
  | 'tagSummary'
  | 'listReferrers'
  | 'listEvents'
>;

export function createPostgresManifests(db: PostgresDatabase, beforeCreate: BeforeCreate): ManifestPart {
  const one = <R extends object>(sql: string, params: unknown[]) => firstRow<R>(db, sql, params);
  return {
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

    deleteTag: (repo, tag, actor, at, pruned) =>
      db.transaction(async (tx): Promise<DeleteOutcome> => {
        const repository = await lockExisting(tx, repo);
        if (!repository) return { kind: 'unknown' };
        const [tagged] = await tx.query<{ digest: string }>(
          'SELECT digest FROM registry_tags WHERE repo = $1 AND tag = $2',
          [repo, tag],
        );
        if (!tagged || (pruned && tagged.digest !== pruned.digest)) return { kind: 'unknown' };
        if (repository.immutableTags)
          return { kind: 'immutable', digest: tagged.digest as Digest, tags: [tag], count: 1 };
        // The tag's pull statistics go with it (ON DELETE CASCADE, pruning-schema.ts).
        await tx.query('DELETE FROM registry_tags WHERE repo = $1 AND tag = $2', [repo, tag]);
        await insertEvent(
          tx,
          repo,
          pruned ? { type: 'prune', actor, at, tag, digest: pruned.digest } : { type: 'untag', actor, at, tag },
        );
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
  };
}
