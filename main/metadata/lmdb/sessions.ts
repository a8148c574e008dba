/**
 * @module `SessionStore` in LMDB, in main's environment, with the sub-databases and msgpack
 * encoding main has always used (existing data directories keep their sessions):
 *
 *	sessions       <sha256 of session id>   SessionRecord
 *	refreshTokens  <sha256 of token>        RefreshTokenRecord
 *
 * `revokeUserCredentials` is exported for the LMDB accounts store: removing an account revokes
 * its credentials inside the removing transaction (writeAtomically), so they go together or not
 * at all.
 */
import { writeAtomically, type Database, type RootDatabase } from '../../../src/store/lmdb.js';
import type { RefreshTokenRecord, SessionRecord, SessionStore } from '../sessions.js';

export interface SessionTables {
  sessions: Database<SessionRecord, string>;
  refreshTokens: Database<RefreshTokenRecord, string>;
}

export function openSessionTables(root: RootDatabase): SessionTables {
  return {
    sessions: root.openDB<SessionRecord, string>({ name: 'sessions', encoding: 'msgpack' }),
    refreshTokens: root.openDB<RefreshTokenRecord, string>({ name: 'refreshTokens', encoding: 'msgpack' }),
  };
}

/**
 * Removes `user`'s sessions and refresh tokens; returns how many. Synchronous: call it only
 * inside `writeAtomically` on the same root (a scan of both tables: there is no index by user,
 * and revocations are rare).
 */
export function revokeUserCredentials(root: RootDatabase, user: string): number {
  return revokeIn(openSessionTables(root), user);
}

function revokeIn(tables: SessionTables, user: string): number {
  let revoked = 0;
  for (const table of [tables.refreshTokens, tables.sessions] as Database<{ user: string }, string>[]) {
    for (const { key, value } of [...table.getRange()]) {
      if (value.user !== user) continue;
      table.remove(key);
      revoked++;
    }
  }
  return revoked;
}

export function createLmdbSessionStore(root: RootDatabase): SessionStore {
  const tables = openSessionTables(root);
  const { sessions, refreshTokens } = tables;
  return {
    async createSession(idHash, record) {
      await sessions.put(idHash, record);
    },
    async getSession(idHash) {
      return sessions.get(idHash);
    },
    async removeSession(idHash) {
      await sessions.remove(idHash);
    },
    async createRefreshToken(tokenHash, record) {
      await refreshTokens.put(tokenHash, record);
    },
    async getRefreshToken(tokenHash) {
      return refreshTokens.get(tokenHash);
    },
    revokeUser: (user) => writeAtomically(root, () => revokeIn(tables, user)),
    purgeExpired: (now) =>
      writeAtomically(root, () => {
        let purged = 0;
        for (const table of [sessions, refreshTokens] as Database<{ expiresAt: number }, string>[]) {
          for (const { key, value } of [...table.getRange()]) {
            if (value.expiresAt > now) continue;
            table.remove(key);
            purged++;
          }
        }
        return purged;
      }),
  };
}
