/**
 * The SessionStore contract on LMDB, plus what only the LMDB store promises: the sub-databases
 * and encoding main always used, so that sessions of an existing data directory stay valid.
 */
import { describe, expect, it } from 'vitest';
import { createLmdbSessionStore, revokeUserCredentials } from '../../../main/metadata/lmdb/sessions.js';
import { openLmdb, writeAtomically } from '../../../src/store/lmdb.js';
import { describeSessionStore } from '../../contract/sessions.js';
import { createTempDir } from '../../helpers/temp-dir.js';

async function openFixture() {
  const temp = await createTempDir('outpost-sessions-');
  const root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  return {
    root,
    store: createLmdbSessionStore(root),
    async cleanup() {
      await root.close();
      await temp.remove();
    },
  };
}

describeSessionStore('LMDB', openFixture);

describe('LMDB SessionStore on an existing data directory', () => {
  it('reads sessions and refresh tokens written by earlier versions (sessions, refreshTokens; msgpack)', async () => {
    const fixture = await openFixture();
    try {
      const earlier = { user: 'alice', csrfToken: 'c', expiresAt: 1 };
      await fixture.root.openDB({ name: 'sessions', encoding: 'msgpack' }).put('hash-1', earlier);
      await fixture.root
        .openDB({ name: 'refreshTokens', encoding: 'msgpack' })
        .put('hash-2', { user: 'bob', expiresAt: 2 });
      expect(await fixture.store.getSession('hash-1')).toEqual(earlier);
      expect(await fixture.store.getRefreshToken('hash-2')).toEqual({ user: 'bob', expiresAt: 2 });
    } finally {
      await fixture.cleanup();
    }
  });
});

describe('revokeUserCredentials (for the LMDB accounts store)', () => {
  const session = { user: 'alice', csrfToken: 'c', expiresAt: Date.UTC(2030, 0, 1) };

  it("revokes the user's credentials inside the caller's transaction, and counts them", async () => {
    const fixture = await openFixture();
    try {
      await fixture.store.createSession('s', session);
      await fixture.store.createRefreshToken('r', { user: 'alice', expiresAt: session.expiresAt });
      expect(await writeAtomically(fixture.root, () => revokeUserCredentials(fixture.root, 'alice'))).toBe(2);
      expect(await fixture.store.getSession('s')).toBeUndefined();
      expect(await fixture.store.getRefreshToken('r')).toBeUndefined();
    } finally {
      await fixture.cleanup();
    }
  });

  it('revokes nothing when that transaction fails afterwards', async () => {
    const fixture = await openFixture();
    try {
      await fixture.store.createSession('s', session);
      const failed = writeAtomically(fixture.root, () => {
        revokeUserCredentials(fixture.root, 'alice');
        throw new Error('the removal was refused');
      });
      await expect(failed).rejects.toThrow('the removal was refused');
      expect(await fixture.store.getSession('s')).toEqual(session);
    } finally {
      await fixture.cleanup();
    }
  });
});
