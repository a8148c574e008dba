/** @module The tables of the sessions family (main/metadata/postgres/sessions.ts). Times are epoch milliseconds. */
import type { Migration } from './migrations.js';

export const SESSIONS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'sessions-001-tables',
    sql: `
      CREATE TABLE outpost_sessions (
        id_hash text PRIMARY KEY,
        user_name text NOT NULL,
        user_id text,
        csrf_token text NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX outpost_sessions_user ON outpost_sessions (user_name);
      CREATE INDEX outpost_sessions_expiry ON outpost_sessions (expires_at);
      CREATE TABLE outpost_refresh_tokens (
        token_hash text PRIMARY KEY,
        user_name text NOT NULL,
        user_id text,
        expires_at bigint NOT NULL
      );
      CREATE INDEX outpost_refresh_tokens_user ON outpost_refresh_tokens (user_name);
      CREATE INDEX outpost_refresh_tokens_expiry ON outpost_refresh_tokens (expires_at);`,
  },
];
