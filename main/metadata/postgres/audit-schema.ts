/** @module The table of the audit family (main/metadata/postgres/audit.ts). Times are epoch milliseconds. */
import type { Migration } from './migrations.js';

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'audit-001-events',
    sql: `
      CREATE TABLE outpost_audit_events (
        id text PRIMARY KEY,
        at bigint NOT NULL,
        type text NOT NULL,
        actor text NOT NULL,
        target text NOT NULL,
        outcome text NOT NULL,
        detail jsonb NOT NULL
      );
      CREATE INDEX outpost_audit_events_type ON outpost_audit_events (type, id);
      CREATE INDEX outpost_audit_events_actor ON outpost_audit_events (actor, id);`,
  },
];
