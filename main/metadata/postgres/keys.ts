/**
 * @module `KeyStore` in PostgreSQL (table in keys-schema.ts): the signing keys every replica
 * signs and verifies with, each private key sealed with the key-encryption key
 * (key-encryption.ts) before it leaves this module, and opened only here.
 *
 * A rotation is one transaction under the table's EXCLUSIVE lock: check that the newest key is
 * still the one the rotating ring knew, retire the others, add the new one. Of two replicas
 * rotating at once one wins; the other's `add` returns false and its ring takes the winner's
 * key. The version is the newest position, which every rotation raises: rings on other
 * replicas see it change at their next reload and converge.
 */
import type { KeyEntry, KeyStore } from '../keys.js';
import type { PostgresDatabase } from './database.js';
import type { KeyEncryptionKey } from './key-encryption.js';

interface EntryRow {
  kid: string;
  created_at: string;
  retired_at: string | null;
}

export function createPostgresKeyStore(db: PostgresDatabase, kek: KeyEncryptionKey): KeyStore {
  return {
    async version() {
      const [row] = await db.query<{ newest: number | null }>(
        'SELECT max(position) AS newest FROM outpost_signing_keys',
      );
      return row?.newest == null ? undefined : String(row.newest);
    },
    async entries() {
      const rows = await db.query<EntryRow>(
        'SELECT kid, created_at, retired_at FROM outpost_signing_keys ORDER BY position',
      );
      return rows.map(
        (row): KeyEntry => ({
          kid: row.kid,
          createdAt: Number(row.created_at),
          ...(row.retired_at !== null && { retiredAt: Number(row.retired_at) }),
        }),
      );
    },
    async privateKeyPem(kid) {
      const [row] = await db.query<{ private_key_nonce: Buffer; private_key_sealed: Buffer }>(
        'SELECT private_key_nonce, private_key_sealed FROM outpost_signing_keys WHERE kid = $1',
        [kid],
      );
      if (!row) throw new Error(`signing key ${kid} is not in the database`);
      return kek.open(kid, { nonce: row.private_key_nonce, ciphertext: row.private_key_sealed });
    },
    add({ privateKeyPem, ...key }, after) {
      const sealed = kek.seal(key.kid, privateKeyPem);
      return db.transaction(async (tx) => {
        await tx.query('LOCK TABLE outpost_signing_keys IN EXCLUSIVE MODE');
        const [newest] = await tx.query<{ kid: string; position: number }>(
          'SELECT kid, position FROM outpost_signing_keys ORDER BY position DESC LIMIT 1',
        );
        if (newest?.kid !== after) return false;
        await tx.query('UPDATE outpost_signing_keys SET retired_at = $1 WHERE retired_at IS NULL', [key.createdAt]);
        await tx.query(
          `INSERT INTO outpost_signing_keys (kid, position, created_at, private_key_nonce, private_key_sealed)
           VALUES ($1, $2, $3, $4, $5)`,
          [key.kid, (newest?.position ?? 0) + 1, key.createdAt, sealed.nonce, sealed.ciphertext],
        );
        return true;
      });
    },
  };
}
