/**
 * @module Web sign-in sessions, kept in the `SessionStore` under a hash of their id (a leaked
 * database does not hand out live cookies). Each session carries its CSRF token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionRecord, SessionStore } from '../metadata/sessions.js';

export const SESSION_COOKIE = 'outpost_session';

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

export interface Session extends SessionRecord {
  id: string;
}

export interface Sessions {
  create(user: string): Promise<Session>;
  /** The live session for a cookie value, or undefined. */
  get(id: string | undefined): Promise<Session | undefined>;
  destroy(id: string): Promise<void>;
  /** Removes expired sessions and refresh tokens; returns how many. */
  purgeExpired(): Promise<number>;
}

export interface SessionsDeps {
  store: SessionStore;
  /** The current immutable id of the account named `name` (accounts.ts `userId`); undefined for none. */
  accountId: (name: string) => Promise<string | undefined>;
  lifetimeMs: number;
  now?: () => number;
}

export function createSessions({ store, accountId, lifetimeMs, now = Date.now }: SessionsDeps): Sessions {
  return {
    async create(user) {
      const id = randomBytes(32).toString('base64url');
      const userId = await accountId(user);
      const record: SessionRecord = {
        user,
        ...(userId !== undefined && { userId }),
        csrfToken: randomBytes(24).toString('base64url'),
        expiresAt: now() + lifetimeMs,
      };
      await store.createSession(hashId(id), record);
      return { id, ...record };
    },
    async get(id) {
      if (!id || id.length > 100) return undefined;
      const record = await store.getSession(hashId(id));
      if (!record || record.expiresAt <= now()) return undefined;
      // A session of an earlier account of this name is no session (those from before ids
      // existed carry none; removing a user ends its sessions, so they are its own).
      if (record.userId !== undefined && record.userId !== (await accountId(record.user))) return undefined;
      return { id, ...record };
    },
    async destroy(id) {
      await store.removeSession(hashId(id));
    },
    purgeExpired: () => store.purgeExpired(now()),
  };
}
