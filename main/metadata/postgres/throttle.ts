/**
 * @module `ThrottleStore` in PostgreSQL (table in throttle-schema.ts), shared by every replica
 * so that a lockout holds on all of them. An increment is one upsert: the row lock makes
 * increments from any number of connections add up, and a lapsed counter starts again in the
 * same statement. Keys are locked in sorted order, so that two increments of the same keys
 * cannot deadlock.
 *
 * Rows are keyed by the SHA-256 of the key: keys hold characters a text column refuses (the
 * throttle joins address and name with NUL) and names of any length.
 *
 * Lapsed rows are refused when read; every `PURGE_EVERY` increments of this process also
 * delete them, so that made-up names sprayed at the sign-in do not pile up past their window.
 */
import { createHash } from 'node:crypto';
import type { ThrottleCount, ThrottleStore } from '../throttle.js';
import type { PostgresDatabase } from './database.js';

const PURGE_EVERY = 200;

const rowKey = (key: string) => createHash('sha256').update(key).digest('base64url');
const distinctSorted = (keys: readonly string[]) => [...new Set(keys.map(rowKey))].sort();

export function createPostgresThrottleStore(db: PostgresDatabase): ThrottleStore {
  let increments = 0;
  return {
    async increment(keys, now, windowMs) {
      if (keys.length === 0) return;
      await db.query(
        `INSERT INTO outpost_login_failures AS f (key, count, expires_at)
         SELECT key, 1, $2::bigint + $3::bigint FROM unnest($1::text[]) AS key ORDER BY key
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN f.expires_at <= $2 THEN 1 ELSE f.count + 1 END,
           expires_at = CASE WHEN f.expires_at <= $2 THEN EXCLUDED.expires_at ELSE f.expires_at END`,
        [distinctSorted(keys), now, windowMs],
      );
      if (++increments % PURGE_EVERY === 0)
        await db.query('DELETE FROM outpost_login_failures WHERE expires_at <= $1', [now]);
    },
    async get(keys, now) {
      const rows = await db.query<{ key: string; count: number; expires_at: string }>(
        'SELECT key, count, expires_at FROM outpost_login_failures WHERE key = ANY($1::text[]) AND expires_at > $2',
        [distinctSorted(keys), now],
      );
      const byKey = new Map(
        rows.map((row): [string, ThrottleCount] => [row.key, { count: row.count, expiresAt: Number(row.expires_at) }]),
      );
      return keys.map((key) => {
        const counter = byKey.get(rowKey(key));
        return counter && { ...counter };
      });
    },
    async reset(keys) {
      if (keys.length === 0) return;
      await db.query('DELETE FROM outpost_login_failures WHERE key = ANY($1::text[])', [distinctSorted(keys)]);
    },
  };
}
