/**
 * @module Loads signing keys into `outpost_signing_keys` (keys-schema.ts), each private key
 * sealed with the key-encryption key here, as keys.ts does: tokens the old installation signed
 * verify after the move, and the ring keeps its order and retirement times.
 */
import type { KeyEncryptionKey } from './key-encryption.js';
import type { LoadTarget } from './load-target.js';
import type { SigningKeyRow } from '../migration.js';

export function signingKeyLoad(kek: KeyEncryptionKey): LoadTarget<SigningKeyRow> {
  return {
    table: 'outpost_signing_keys',
    async load(tx, keys) {
      for (const { privateKeyPem, ...key } of keys) {
        const sealed = kek.seal(key.kid, privateKeyPem);
        await tx.query(
          `INSERT INTO outpost_signing_keys
             (kid, position, created_at, retired_at, private_key_nonce, private_key_sealed)
           VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM outpost_signing_keys), $2, $3, $4, $5)
           ON CONFLICT (kid) DO NOTHING`,
          [key.kid, key.createdAt, key.retiredAt ?? null, sealed.nonce, sealed.ciphertext],
        );
      }
    },
  };
}
