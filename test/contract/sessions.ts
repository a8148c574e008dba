/**
 * The `SessionStore` contract (main/metadata/sessions.ts) as one suite every backend runs:
 * `describeSessionStore('LMDB', factory)`. Only the interface is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RefreshTokenRecord, SessionRecord, SessionStore } from '../../main/metadata/sessions.js';

export interface SessionStoreFixture {
  store: SessionStore;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);
const session = (user: string, expiresAt = T0 + 60_000, userId?: string): SessionRecord => ({
  user,
  ...(userId !== undefined && { userId }),
  csrfToken: `csrf-of-${user}`,
  expiresAt,
});
const refresh = (user: string, expiresAt = T0 + 60_000): RefreshTokenRecord => ({ user, expiresAt });

export function describeSessionStore(name: string, factory: () => Promise<SessionStoreFixture>): void {
  describe(`${name} (SessionStore contract)`, () => {
    let fixture: SessionStoreFixture;
    let store: SessionStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('sessions', () => {
      it('gives back a stored session as written, with or without an account id', async () => {
        await store.createSession('h1', session('alice', T0, 'id-a'));
        await store.createSession('h2', session('bob'));
        expect(await store.getSession('h1')).toEqual(session('alice', T0, 'id-a'));
        expect(await store.getSession('h2')).toEqual(session('bob'));
      });

      it('answers undefined for a key never stored, and after the session was removed', async () => {
        expect(await store.getSession('nothing')).toBeUndefined();
        await store.createSession('h1', session('alice'));
        await store.removeSession('h1');
        expect(await store.getSession('h1')).toBeUndefined();
        await expect(store.removeSession('h1')).resolves.toBeUndefined();
      });

      it('keeps sessions and refresh tokens apart under the same key', async () => {
        await store.createSession('same', session('alice'));
        expect(await store.getRefreshToken('same')).toBeUndefined();
        await store.createRefreshToken('same', refresh('bob'));
        expect((await store.getSession('same'))?.user).toBe('alice');
        expect((await store.getRefreshToken('same'))?.user).toBe('bob');
      });
    });

    describe('refresh tokens', () => {
      it('gives back a stored token as written, and undefined for one never stored', async () => {
        await store.createRefreshToken('t1', { user: 'alice', userId: 'id-a', expiresAt: T0 });
        expect(await store.getRefreshToken('t1')).toEqual({ user: 'alice', userId: 'id-a', expiresAt: T0 });
        expect(await store.getRefreshToken('t2')).toBeUndefined();
      });
    });

    describe('revokeUser', () => {
      it("removes every session and refresh token of the user, counts them, and keeps others'", async () => {
        await store.createSession('a1', session('alice'));
        await store.createSession('a2', session('alice', T0 - 1));
        await store.createRefreshToken('a3', refresh('alice'));
        await store.createSession('b1', session('bob'));
        await store.createRefreshToken('b2', refresh('bob'));
        expect(await store.revokeUser('alice')).toBe(3);
        for (const key of ['a1', 'a2']) expect(await store.getSession(key)).toBeUndefined();
        expect(await store.getRefreshToken('a3')).toBeUndefined();
        expect(await store.getSession('b1')).toEqual(session('bob'));
        expect(await store.getRefreshToken('b2')).toEqual(refresh('bob'));
      });

      it('counts nothing for a user without credentials, or a name that only prefixes one', async () => {
        await store.createSession('a1', session('alice'));
        expect(await store.revokeUser('nobody')).toBe(0);
        expect(await store.revokeUser('ali')).toBe(0);
        expect(await store.getSession('a1')).toEqual(session('alice'));
      });
    });

    describe('purgeExpired', () => {
      it('removes sessions and refresh tokens expired at or before the time given, and keeps live ones', async () => {
        await store.createSession('gone', session('alice', T0 - 1));
        await store.createSession('edge', session('alice', T0));
        await store.createSession('live', session('alice', T0 + 1));
        await store.createRefreshToken('gone', refresh('alice', T0));
        await store.createRefreshToken('live', refresh('alice', T0 + 1));
        expect(await store.purgeExpired(T0)).toBe(3);
        expect(await store.getSession('gone')).toBeUndefined();
        expect(await store.getSession('edge')).toBeUndefined();
        expect(await store.getSession('live')).toEqual(session('alice', T0 + 1));
        expect(await store.getRefreshToken('gone')).toBeUndefined();
        expect(await store.getRefreshToken('live')).toEqual(refresh('alice', T0 + 1));
        expect(await store.purgeExpired(T0)).toBe(0);
      });
    });
  });
}
