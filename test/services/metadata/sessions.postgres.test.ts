/**
 * The SessionStore contract on PostgreSQL (a private cluster, a fresh database per test), plus
 * `revokeUserCredentials`, which the PostgreSQL accounts store runs inside its own transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { SESSIONS_MIGRATIONS } from '../../../main/metadata/postgres/sessions-schema.js';
import { createPostgresSessionStore, revokeUserCredentials } from '../../../main/metadata/postgres/sessions.js';
import { describeSessionStore } from '../../contract/sessions.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeSessionStore('PostgreSQL', async () => {
  const db = await PostgresDatabase.connect(await server.createDatabase(), { maxConnections: 4 });
  await applyMigrations(db, SESSIONS_MIGRATIONS);
  return { store: createPostgresSessionStore(db), cleanup: () => db.close() };
});

describe('revokeUserCredentials (for the PostgreSQL accounts store)', () => {
  it("revokes within the caller's transaction: all with its commit, none when it fails", async () => {
    const db = await PostgresDatabase.connect(await server.createDatabase(), { maxConnections: 4 });
    try {
      await applyMigrations(db, SESSIONS_MIGRATIONS);
      const store = createPostgresSessionStore(db);
      const expiresAt = Date.UTC(2030, 0, 1);
      await store.createSession('s', { user: 'alice', csrfToken: 'c', expiresAt });
      await store.createRefreshToken('r', { user: 'alice', expiresAt });
      const failed = db.transaction(async (tx) => {
        await revokeUserCredentials(tx, 'alice');
        throw new Error('the removal was refused');
      });
      await expect(failed).rejects.toThrow('the removal was refused');
      expect(await store.getSession('s')).toBeDefined();
      expect(await db.transaction((tx) => revokeUserCredentials(tx, 'alice'))).toBe(2);
      expect(await store.getSession('s')).toBeUndefined();
      expect(await store.getRefreshToken('r')).toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
