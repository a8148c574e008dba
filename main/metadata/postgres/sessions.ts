/**
 * @module `SessionStore` in PostgreSQL (tables in sessions-schema.ts). `revokeUserCredentials`
 * is exported for the PostgreSQL accounts store: removing an account revokes its credentials
 * inside the removing transaction.
 */
import type { RefreshTokenRecord, SessionRecord, SessionStore } from '../sessions.js';
import type { PostgresDatabase, Queryable } from './database.js';

interface SessionRow {
  user_name: string;
  user_id: string | null;
  csrf_token: string;
  expires_at: string;
}

interface RefreshTokenRow {
  user_name: string;
  user_id: string | null;
  expires_at: string;
}

const withUserId = (userId: string | null) => (userId === null ? {} : { userId });

/** Removes `user`'s sessions and refresh tokens within `tx`; returns how many. */
export async function revokeUserCredentials(tx: Queryable, user: string): Promise<number> {
  const [row] = await tx.query<{ revoked: string }>(
    `WITH s AS (DELETE FROM outpost_sessions WHERE user_name = $1 RETURNING 1),
          r AS (DELETE FROM outpost_refresh_tokens WHERE user_name = $1 RETURNING 1)
     SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM r) AS revoked`,
    [user],
  );
  return Number(row?.revoked ?? 0);
}

export function createPostgresSessionStore(db: PostgresDatabase): SessionStore {
  return {
    async createSession(idHash, record) {
      await db.query(
        `INSERT INTO outpost_sessions (id_hash, user_name, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id_hash) DO UPDATE SET user_name = EXCLUDED.user_name, user_id = EXCLUDED.user_id,
           csrf_token = EXCLUDED.csrf_token, expires_at = EXCLUDED.expires_at`,
        [idHash, record.user, record.userId ?? null, record.csrfToken, record.expiresAt],
      );
    },
    async getSession(idHash) {
      const [row] = await db.query<SessionRow>(
        'SELECT user_name, user_id, csrf_token, expires_at FROM outpost_sessions WHERE id_hash = $1',
        [idHash],
      );
      if (!row) return undefined;
      const record: SessionRecord = {
        user: row.user_name,
        ...withUserId(row.user_id),
        csrfToken: row.csrf_token,
        expiresAt: Number(row.expires_at),
      };
      return record;
    },
    async removeSession(idHash) {
      await db.query('DELETE FROM outpost_sessions WHERE id_hash = $1', [idHash]);
    },
    async createRefreshToken(tokenHash, record) {
      await db.query(
        `INSERT INTO outpost_refresh_tokens (token_hash, user_name, user_id, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (token_hash) DO UPDATE SET user_name = EXCLUDED.user_name, user_id = EXCLUDED.user_id,
           expires_at = EXCLUDED.expires_at`,
        [tokenHash, record.user, record.userId ?? null, record.expiresAt],
      );
    },
    async getRefreshToken(tokenHash) {
      const [row] = await db.query<RefreshTokenRow>(
        'SELECT user_name, user_id, expires_at FROM outpost_refresh_tokens WHERE token_hash = $1',
        [tokenHash],
      );
      if (!row) return undefined;
      const record: RefreshTokenRecord = {
        user: row.user_name,
        ...withUserId(row.user_id),
        expiresAt: Number(row.expires_at),
      };
      return record;
    },
    revokeUser: (user) => db.transaction((tx) => revokeUserCredentials(tx, user)),
    async purgeExpired(now) {
      const [row] = await db.query<{ purged: string }>(
        `WITH s AS (DELETE FROM outpost_sessions WHERE expires_at <= $1 RETURNING 1),
              r AS (DELETE FROM outpost_refresh_tokens WHERE expires_at <= $1 RETURNING 1)
         SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM r) AS purged`,
        [now],
      );
      return Number(row?.purged ?? 0);
    },
  };
}
