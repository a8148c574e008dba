/** @module The table of the login-throttle family (main/metadata/postgres/throttle.ts). Times are epoch milliseconds. */
import type { Migration } from './migrations.js';

export const THROTTLE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'throttle-001-counters',
    sql: `
      CREATE TABLE outpost_login_failures (
        key text PRIMARY KEY,
        count integer NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX outpost_login_failures_expiry ON outpost_login_failures (expires_at);`,
  },
];
