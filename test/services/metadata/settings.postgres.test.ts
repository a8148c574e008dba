/** The `SettingsStore` contract on the real PostgreSQL (a private cluster for this file, a database per test). */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyEncryptionKey } from '../../../main/metadata/postgres/key-encryption.js';
import { defaultLdapSettings } from '../../../main/metadata/ldap-settings.js';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { createPostgresSettingsStore } from '../../../main/metadata/postgres/settings.js';
import { describeSettingsStore } from '../../contract/settings.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate } from '../../helpers/postgres-accounts.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

const kek = createKeyEncryptionKey(randomBytes(32));

describeSettingsStore('PostgreSQL', async () => {
  const url = await server.createDatabase();
  await migrate(url);
  const pools: PostgresDatabase[] = [await PostgresDatabase.connect(url, { maxConnections: 4 })];
  return {
    store: createPostgresSettingsStore(pools[0]!, kek),
    async reopen() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 2 });
      pools.push(other);
      return createPostgresSettingsStore(other, kek);
    },
    cleanup: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
});

it('keeps the directory bind password sealed with the key-encryption key, never in clear in the row', async () => {
  const url = await server.createDatabase();
  await migrate(url);
  const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
  try {
    const store = createPostgresSettingsStore(db, kek);
    await store.setLdapSettings({ ...defaultLdapSettings(), bindPassword: 'the-bind-password-42' });
    const rows = await db.query<{ value: unknown }>("SELECT value FROM meta_settings WHERE key = 'ldap'");
    expect(JSON.stringify(rows[0]?.value)).not.toContain('the-bind-password-42');
    expect((await store.getLdapSettings()).bindPassword).toBe('the-bind-password-42');
    // Another key-encryption key does not open it.
    const other = createPostgresSettingsStore(db, createKeyEncryptionKey(randomBytes(32)));
    await expect(other.getLdapSettings()).rejects.toThrow(/decrypted/);
  } finally {
    await db.close();
  }
});
