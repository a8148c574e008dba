/**
 * @module Garbage collection, start-up repair, upload sessions and health of `RegistryMetadata`
 * in PostgreSQL: the part of main/metadata/postgres/registry.ts (whose header explains how the
 * collector and pushes decide between them) that maintenance uses.
 */
import type { Digest } from '../../../src/oci/digest.js';
import type { RegistryMetadata, UploadRecord } from '../registry.js';
import type { PostgresDatabase } from './database.js';
import { firstRow } from './registry-rows.js';

export type MaintenancePart = Pick<
  RegistryMetadata,
  | 'collectableBlobs'
  | 'collectBlob'
  | 'listBlobDigests'
  | 'dropBlobs'
  | 'referencingRepositories'
  | 'reindexBlob'
  | 'getUpload'
  | 'putUpload'
  | 'deleteUpload'
  | 'listIdleUploads'
  | 'ping'
>;

// Thrown inside a transaction to roll it back and keep the blob.
class KeepBlob extends Error {}

export function createPostgresMaintenance(db: PostgresDatabase): MaintenancePart {
  const one = <R extends object>(sql: string, params: unknown[]) => firstRow<R>(db, sql, params);
  return {
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
