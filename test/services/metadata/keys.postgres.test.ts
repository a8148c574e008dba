/**
 * The KeyStore contract on PostgreSQL (a private cluster, a fresh database per test), plus what
 * the key-encryption key promises there: the rows hold no private key in clear, and a replica
 * with another key-encryption key refuses to start with a message that says which setting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { createKeyEncryptionKey } from '../../../main/metadata/postgres/key-encryption.js';
import { KEYS_MIGRATIONS } from '../../../main/metadata/postgres/keys-schema.js';
import { createPostgresKeyStore } from '../../../main/metadata/postgres/keys.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { KeyRing } from '../../../src/auth/keys.js';
import { describeKeyStore } from '../../contract/keys.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

async function openDatabase() {
  const url = await server.createDatabase();
  const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
  await applyMigrations(db, KEYS_MIGRATIONS);
  const others: PostgresDatabase[] = [];
  return {
    db,
    async openAgain() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 4 });
      others.push(other);
      return other;
    },
    cleanup: () => Promise.all([db, ...others].map((d) => d.close())).then(() => undefined),
  };
}

const KEK = createKeyEncryptionKey(randomBytes(32));

describeKeyStore('PostgreSQL', async () => {
  const { db, openAgain, cleanup } = await openDatabase();
  return {
    store: createPostgresKeyStore(db, KEK),
    openAgain: async () => createPostgresKeyStore(await openAgain(), KEK),
    cleanup,
  };
});

describe('signing keys in PostgreSQL', () => {
  const options = { maxTokenLifetimeMs: 60_000 };

  it('keeps no private key in clear in the table, only sealed, and signs with it after a reopen', async () => {
    const { db, cleanup } = await openDatabase();
    try {
      const ring = await KeyRing.open({ store: createPostgresKeyStore(db, KEK), ...options });
      await ring.rotate();
      const rows = await db.query<Record<string, unknown>>('SELECT * FROM outpost_signing_keys');
      expect(rows).toHaveLength(2);
      const raw = JSON.stringify(
        rows.map((row) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))),
      );
      const store = createPostgresKeyStore(db, KEK);
      for (const { kid } of await store.entries()) {
        const pem = await store.privateKeyPem(kid);
        const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
        // The PEM, its base64 body, and the 32 bytes of the Ed25519 seed: none of them in any column.
        const body = pem
          .split('\n')
          .filter((line) => line && !line.startsWith('-----'))
          .join('');
        for (const secret of [pem, body, der.toString('latin1'), der.subarray(-32).toString('latin1')])
          expect(raw).not.toContain(secret);
      }
      expect(Object.keys(rows[0]!).sort()).toEqual(
        ['created_at', 'kid', 'position', 'private_key_nonce', 'private_key_sealed', 'retired_at'].sort(),
      );
      const reopened = await KeyRing.open({ store: createPostgresKeyStore(db, KEK), ...options });
      expect(reopened.signingKey.kid).toBe(ring.signingKey.kid);
    } finally {
      await cleanup();
    }
  });

  it('refuses to open the ring with another key-encryption key, naming the setting and no key material', async () => {
    const { db, cleanup } = await openDatabase();
    try {
      await KeyRing.open({ store: createPostgresKeyStore(db, KEK), ...options });
      const other = createKeyEncryptionKey(randomBytes(32));
      const error = await KeyRing.open({ store: createPostgresKeyStore(db, other), ...options }).catch((e) => e);
      expect(error).toMatchObject({ code: 'OUTPOST_KEK_WRONG' });
      expect(error.message).toMatch(/cannot be decrypted with the key-encryption key of --secret-key-file/);
      expect(error.message).toContain('OUTPOST_MAIN_SECRET_KEY_FILE');
      expect(error.message).not.toMatch(/PRIVATE KEY/);
      // Nothing was added by the refused replica.
      expect(await db.query('SELECT kid FROM outpost_signing_keys')).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });

  it('refuses a sealed key moved to another key id (the key id is authenticated with it)', async () => {
    const { db, cleanup } = await openDatabase();
    try {
      const ring = await KeyRing.open({ store: createPostgresKeyStore(db, KEK), ...options });
      const first = ring.signingKey.kid;
      await ring.rotate();
      const second = ring.signingKey.kid;
      await db.query(
        `UPDATE outpost_signing_keys SET (private_key_nonce, private_key_sealed) =
           (SELECT private_key_nonce, private_key_sealed FROM outpost_signing_keys WHERE kid = $1) WHERE kid = $2`,
        [first, second],
      );
      await expect(createPostgresKeyStore(db, KEK).privateKeyPem(second)).rejects.toMatchObject({
        code: 'OUTPOST_KEK_WRONG',
      });
    } finally {
      await cleanup();
    }
  });
});
