/**
 * @module `AuditStore` in PostgreSQL (table in audit-schema.ts), shared by every replica. Ids
 * sort by time, so "newest first" and the page cursor are both `ORDER BY id DESC`.
 */
import type { AuditEvent, AuditStore } from '../audit.js';
import type { PostgresDatabase } from './database.js';

interface Row {
  id: string;
  at: string;
  type: string;
  actor: string;
  target: string;
  outcome: AuditEvent['outcome'];
  detail: AuditEvent['detail'];
}

const toEvent = (row: Row): AuditEvent => ({ ...row, at: Number(row.at) });

export function createPostgresAuditStore(db: PostgresDatabase): AuditStore {
  return {
    async append(batch) {
      if (batch.length === 0) return;
      await db.query(
        `INSERT INTO outpost_audit_events (id, at, type, actor, target, outcome, detail)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
        [
          batch.map((e) => e.id),
          batch.map((e) => e.at),
          batch.map((e) => e.type),
          batch.map((e) => e.actor),
          batch.map((e) => e.target),
          batch.map((e) => e.outcome),
          batch.map((e) => JSON.stringify(e.detail)),
        ],
      );
    },
    async list(query) {
      const rows = await db.query<Row>(
        `SELECT id, at, type, actor, target, outcome, detail FROM outpost_audit_events
         WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR actor = $2)
           AND ($3::bigint IS NULL OR at >= $3) AND ($4::text IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5`,
        [query.type ?? null, query.actor ?? null, query.since ?? null, query.before ?? null, query.limit + 1],
      );
      const events = rows.slice(0, query.limit).map(toEvent);
      return rows.length > query.limit ? { events, next: events.at(-1)!.id } : { events };
    },
    async prune(retention, now) {
      const rows = await db.query<{ n: string }>(
        `WITH gone AS (
           DELETE FROM outpost_audit_events WHERE at < $1
              OR id <= (SELECT id FROM outpost_audit_events ORDER BY id DESC OFFSET $2 LIMIT 1)
           RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [now - retention.maxAgeMs, retention.maxEvents],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
