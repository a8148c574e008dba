/** @module Rows of the registry tables as records, and the statements several parts of registry.ts share. */
import type { Digest } from '../../../src/oci/digest.js';
import type { ManifestRecord, PullBlockSeverity, RepositoryEvent, RepositoryRecord } from '../registry.js';
import type { PostgresDatabase, Queryable } from './database.js';

// At most this many digests are listed in a refusal; the count says how many there are.
export const MAX_LISTED = 20;

/** The first row of a query, or undefined. */
export const firstRow = async <R extends object>(
  db: PostgresDatabase,
  sql: string,
  params: unknown[],
): Promise<R | undefined> => (await db.query<R>(sql, params))[0];

export interface RepositoryRow {
  name: string;
  created_at: string;
  visibility: 'public' | 'private' | null;
  immutable_tags: boolean | null;
  /** Added by registry-002-pull-policy. */
  block_pulls_at: PullBlockSeverity | null;
}

export const toRepository = (row: RepositoryRow): RepositoryRecord => ({
  createdAt: Number(row.created_at),
  ...(row.visibility !== null && { visibility: row.visibility }),
  ...(row.immutable_tags !== null && { immutableTags: row.immutable_tags }),
  ...(row.block_pulls_at !== null && { blockPullsAtSeverity: row.block_pulls_at }),
});

export interface ManifestRow {
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

export const toManifest = (row: ManifestRow): ManifestRecord => ({
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

export interface EventRow {
  type: RepositoryEvent['type'];
  actor: string;
  at: string;
  tag: string | null;
  digest: string | null;
}

export const toEvent = (row: EventRow): RepositoryEvent => ({
  type: row.type,
  actor: row.actor,
  at: Number(row.at),
  ...(row.tag !== null && { tag: row.tag }),
  ...(row.digest !== null && { digest: row.digest }),
});

export const insertEvent = (tx: Queryable, repo: string, event: RepositoryEvent) =>
  tx.query('INSERT INTO registry_events (repo, type, actor, at, tag, digest) VALUES ($1, $2, $3, $4, $5, $6)', [
    repo,
    event.type,
    event.actor,
    event.at,
    event.tag ?? null,
    event.digest ?? null,
  ]);

/** Creates the repository row if needed, then locks it; returns its record. */
/** What runs before a transaction may create a repository (PostgresRegistryOptions.beforeCreate). */
export type BeforeCreate = (tx: Queryable, name: string) => Promise<void>;

export async function lockRepository(
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
export async function lockExisting(tx: Queryable, repo: string): Promise<RepositoryRecord | undefined> {
  const [row] = await tx.query<RepositoryRow>('SELECT * FROM registry_repositories WHERE name = $1 FOR NO KEY UPDATE', [
    repo,
  ]);
  return row && toRepository(row);
}
