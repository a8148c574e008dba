/**
 * @module Join tokens: what an admin hands a regional operator so that their edge can register
 * itself on main at start-up (`outpost main cache token create`, `outpost edge --join-token`).
 *
 * Kept in the `CacheStore` (main/metadata/caches.ts) under the base64url SHA-256 of the token:
 * only the hash is stored, so a copy of the database does not leak usable tokens; the token
 * itself is printed once, when it is created.
 *
 * A token is reusable until it expires, not single use: an edge presents it on every start, so
 * a restart (or a second edge of the same operator) within its lifetime registers again, and an
 * edge restarted after it expired keeps serving under the registration it already has.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CacheStore, JoinTokenRecord } from '../metadata/caches.js';

/** Prefix of every join token: easy to recognize in a secret scanner or a support ticket. */
export const JOIN_TOKEN_PREFIX = 'outpost-join-';

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface CreatedJoinToken {
  /** Shown once; main keeps only its hash. */
  token: string;
  expiresAt: number;
}

export function createJoinTokens(store: CacheStore, now: () => number = Date.now) {
  return {
    /** A new token valid for `ttlMs` (positive). */
    async create(ttlMs: number): Promise<CreatedJoinToken> {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0)
        throw new RangeError(`a join token needs a positive lifetime, got ${ttlMs} ms`);
      const createdAt = now();
      // Expired tokens would be refused anyway; this only reclaims their space.
      await store.purgeExpiredJoinTokens(createdAt);
      const token = `${JOIN_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const record: JoinTokenRecord = { createdAt, expiresAt: createdAt + ttlMs };
      await store.createJoinToken(hashToken(token), record);
      return { token, expiresAt: record.expiresAt };
    },

    /** Whether `token` is one of ours and has not expired. */
    async isValid(token: unknown): Promise<boolean> {
      if (typeof token !== 'string' || !token.startsWith(JOIN_TOKEN_PREFIX) || token.length > 200) return false;
      // Looked up by its SHA-256: timing tells nothing about a stored token's characters.
      const record = await store.getJoinToken(hashToken(token));
      return record !== undefined && record.expiresAt > now();
    },
  };
}

export type JoinTokens = ReturnType<typeof createJoinTokens>;
