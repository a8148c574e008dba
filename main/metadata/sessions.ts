/**
 * @module The sessions family: web sign-in sessions and refresh tokens, as records stored
 * under a hash of their secret (main/auth/sessions.ts and token-service.ts hash; a leaked
 * database hands out no live cookie or token). The store only stores: whether a record is
 * still good (expiry, the account id it carries) is decided by its callers.
 */

export interface SessionRecord {
  user: string;
  /** The account's id at sign-in (absent in sessions created before ids existed). */
  userId?: string;
  csrfToken: string;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  user: string;
  /** The account's id when issued (absent in tokens issued before ids existed). */
  userId?: string;
  expiresAt: number;
}

/**
 * Sessions and refresh tokens of every user. Keys are the base64url SHA-256 of the secret.
 * Every method rejects with the backend's failure (LMDB: an error with `code` EIO/ENOSPC;
 * PostgreSQL: UNAVAILABLE) and then changed nothing.
 */
export interface SessionStore {
  /** Stores a new session (a key already present is replaced: ids are random, 256 bits). */
  createSession(idHash: string, record: SessionRecord): Promise<void>;
  /** The session stored under `idHash`, expired or not; undefined when none. */
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Removes one session; nothing happens when there is none. */
  removeSession(idHash: string): Promise<void>;
  createRefreshToken(tokenHash: string, record: RefreshTokenRecord): Promise<void>;
  /** The refresh token stored under `tokenHash`, expired or not; undefined when none. */
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Removes every session and refresh token of `user` at once (all or none); returns how many.
   * What account removal, deactivation and a password change call (main/accounts).
   */
  revokeUser(user: string): Promise<number>;
  /** Removes sessions and refresh tokens that expired at or before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
