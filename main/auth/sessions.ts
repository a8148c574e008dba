/**
 * @module Web sign-in sessions, kept in LMDB under a hash of their id (a leaked database
 * does not hand out live cookies). Each session carries its CSRF token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AccountsDb, SessionRecord } from '../accounts/accounts-db.js';
import { userIdOf } from '../accounts/accounts.js';

export const SESSION_COOKIE = 'outpost_session';

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

export interface Session extends SessionRecord {
  id: string;
}

export interface Sessions {
  create(user: string): Promise<Session>;
  /** The live session for a cookie value, or undefined. */
  get(id: string | undefined): Session | undefined;
  destroy(id: string): Promise<void>;
  /** Removes expired sessions; returns how many. */
  purgeExpired(): Promise<number>;
}

export function createSessions(db: AccountsDb, lifetimeMs: number, now: () => number = Date.now): Sessions {
  const currentUserId = (name: string): string | undefined => {
    const record = db.users.get(name);
    return record && userIdOf(record);
  };
  return {
    async create(user) {
      const id = randomBytes(32).toString('base64url');
      const userId = currentUserId(user);
      const record: SessionRecord = {
        user,
        ...(userId !== undefined && { userId }),
        csrfToken: randomBytes(24).toString('base64url'),
        expiresAt: now() + lifetimeMs,
      };
      await db.sessions.put(hashId(id), record);
      return { id, ...record };
    },
    get(id) {
      if (!id || id.length > 100) return undefined;
      const record = db.sessions.get(hashId(id));
      // A session of an earlier account of this name is no session (those from before ids
      // existed carry none; removing a user ends its sessions, so they are its own).
      const stale = record?.userId !== undefined && record.userId !== currentUserId(record.user);
      return record && record.expiresAt > now() && !stale ? { id, ...record } : undefined;
    },
    async destroy(id) {
      await db.sessions.remove(hashId(id));
    },
    async purgeExpired() {
      let purged = 0;
      for (const { key, value } of db.sessions.getRange()) {
        if (value.expiresAt <= now()) {
          await db.sessions.remove(key);
          purged++;
        }
      }
      return purged;
    },
  };
}
