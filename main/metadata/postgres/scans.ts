/**
 * @module `ScanStore` in PostgreSQL (tables in scans-schema.ts). Each method is one statement,
 * so each is its own transaction. Several replicas run scan workers against one table: `claim`
 * picks the oldest queued row with `FOR UPDATE SKIP LOCKED` and marks it scanning in the same
 * statement, so two replicas claiming at once take two different scans (or one takes it and the
 * other gets the next), and a scan runs once.
 */
import type { ImageScan } from '../../scans/types.js';
import type { ScanCounts, ScanLayerRef, ScanStore } from '../scans.js';
import type { PostgresDatabase, Queryable } from './database.js';

interface ScanRow {
  manifest_digest: string;
  state: ImageScan['state'];
  reason: ImageScan['reason'];
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  result: ImageScan['result'] | null;
  layers?: ScanLayerRef[];
}

const COLUMNS = 'manifest_digest, state, reason, queued_at, started_at, finished_at, error, result';
const iso = (ms: string) => new Date(Number(ms)).toISOString();

function toScan(row: ScanRow): ImageScan {
  return {
    manifestDigest: row.manifest_digest,
    state: row.state,
    reason: row.reason,
    queuedAt: iso(row.queued_at),
    ...(row.started_at !== null && { startedAt: iso(row.started_at) }),
    ...(row.finished_at !== null && { finishedAt: iso(row.finished_at) }),
    ...(row.error !== null && { error: row.error }),
    ...(row.result !== null && { result: row.result }),
  };
}

/** Forgets a deleted repository's scan-on-push choice, in the transaction that deletes it. */
export async function removeRepositoryScanSettings(tx: Queryable, repository: string): Promise<void> {
  await tx.query('DELETE FROM scan_repositories WHERE repo = $1', [repository]);
}

export function createPostgresScanStore(db: PostgresDatabase): ScanStore {
  return {
    async get(digest) {
      const rows = await db.query<ScanRow>(`SELECT ${COLUMNS} FROM image_scans WHERE manifest_digest = $1`, [digest]);
      return rows[0] && toScan(rows[0]);
    },
    async enqueue({ manifestDigest, reason, layers, at }) {
      // A finished scan goes back in the queue with its result; a queued or running one is left alone.
      const rows = await db.query(
        `INSERT INTO image_scans AS s (manifest_digest, state, reason, queued_at, layers)
         VALUES ($1, 'queued', $2, $3, $4)
         ON CONFLICT (manifest_digest) DO UPDATE
           SET state = 'queued', reason = EXCLUDED.reason, queued_at = EXCLUDED.queued_at, layers = EXCLUDED.layers,
               started_at = NULL, finished_at = NULL, error = NULL, worker = NULL, alive_at = NULL
           WHERE s.state IN ('done', 'failed')
         RETURNING manifest_digest`,
        [manifestDigest, reason, at, JSON.stringify(layers)],
      );
      return rows.length === 1 ? 'queued' : 'pending';
    },
    async claim(worker, at) {
      const rows = await db.query<ScanRow>(
        `UPDATE image_scans SET state = 'scanning', started_at = $2, worker = $1, alive_at = $2
         WHERE manifest_digest = (
           SELECT manifest_digest FROM image_scans WHERE state = 'queued'
           ORDER BY queued_at, manifest_digest LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}, layers`,
        [worker, at],
      );
      const row = rows[0];
      return row && { scan: toScan(row), layers: row.layers ?? [] };
    },
    async touch(worker, digests, at) {
      if (digests.length === 0) return;
      await db.query(
        `UPDATE image_scans SET alive_at = $3
         WHERE manifest_digest = ANY($2::text[]) AND state = 'scanning' AND worker = $1`,
        [worker, digests, at],
      );
    },
    async complete(digest, worker, outcome, at) {
      const done = outcome.state === 'done';
      const rows = await db.query(
        `UPDATE image_scans
           SET state = $3, finished_at = $4, worker = NULL, alive_at = NULL,
               error = $5, result = COALESCE($6::jsonb, result),
               db_generation = CASE WHEN $6::jsonb IS NULL THEN db_generation ELSE $7 END
         WHERE manifest_digest = $1 AND state = 'scanning' AND worker = $2
         RETURNING manifest_digest`,
        [
          digest,
          worker,
          outcome.state,
          at,
          done ? null : outcome.error,
          done ? JSON.stringify(outcome.result) : null,
          done ? outcome.result.dbGeneration : null,
        ],
      );
      return rows.length === 1;
    },
    async requeueAbandoned(aliveBefore) {
      const rows = await db.query(
        `UPDATE image_scans SET state = 'queued', started_at = NULL, worker = NULL, alive_at = NULL
         WHERE state = 'scanning' AND (alive_at IS NULL OR alive_at < $1)
         RETURNING manifest_digest`,
        [aliveBefore],
      );
      return rows.length;
    },
    async queueRematch(generation, at, { after, limit }) {
      // One page of digests in order; of those, the finished ones matched against another generation.
      const rows = await db.query<{ manifest_digest: string; queued: boolean }>(
        `WITH page AS (
           SELECT manifest_digest FROM image_scans WHERE manifest_digest > $3
           ORDER BY manifest_digest LIMIT $4),
         requeued AS (
           UPDATE image_scans s SET state = 'queued', reason = 'vulndb', queued_at = $2,
               started_at = NULL, finished_at = NULL, error = NULL
           FROM page WHERE s.manifest_digest = page.manifest_digest
             AND s.state IN ('done', 'failed') AND s.result IS NOT NULL
             AND s.db_generation IS DISTINCT FROM $1
           RETURNING s.manifest_digest)
         SELECT page.manifest_digest, requeued.manifest_digest IS NOT NULL AS queued
           FROM page LEFT JOIN requeued USING (manifest_digest) ORDER BY page.manifest_digest`,
        [generation, at, after ?? '', limit],
      );
      const queued = rows.filter((r) => r.queued).length;
      return rows.length < limit ? { queued } : { queued, last: rows[rows.length - 1]?.manifest_digest };
    },
    async counts() {
      const counts: ScanCounts = { queued: 0, scanning: 0, done: 0, failed: 0 };
      const rows = await db.query<{ state: ImageScan['state']; n: string }>(
        'SELECT state, count(*) AS n FROM image_scans GROUP BY state',
      );
      for (const row of rows) counts[row.state] = Number(row.n);
      return counts;
    },
    async listActive(limit) {
      const rows = await db.query<ScanRow>(
        `SELECT ${COLUMNS} FROM image_scans WHERE state IN ('queued', 'scanning')
         ORDER BY state = 'queued', queued_at, manifest_digest LIMIT $1`,
        [limit],
      );
      return rows.map(toScan);
    },
    async getRepositoryScanOnPush(repo) {
      const rows = await db.query<{ scan_on_push: boolean }>(
        'SELECT scan_on_push FROM scan_repositories WHERE repo = $1',
        [repo],
      );
      return rows[0]?.scan_on_push;
    },
    async setRepositoryScanOnPush(repo, value) {
      if (value === undefined) await db.query('DELETE FROM scan_repositories WHERE repo = $1', [repo]);
      else
        await db.query(
          `INSERT INTO scan_repositories (repo, scan_on_push) VALUES ($1, $2)
           ON CONFLICT (repo) DO UPDATE SET scan_on_push = EXCLUDED.scan_on_push`,
          [repo, value],
        );
    },
  };
}
