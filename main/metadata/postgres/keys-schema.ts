/**
 * @module The table of the signing-keys family (main/metadata/postgres/keys.ts). A private key
 * is stored only sealed (AES-256-GCM under the key-encryption key, key-encryption.ts): its
 * nonce, and its ciphertext with the GCM tag. Times are epoch milliseconds.
 */
import type { Migration } from './migrations.js';

export const KEYS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'keys-001-signing-keys',
    sql: `
      CREATE TABLE outpost_signing_keys (
        kid text PRIMARY KEY,
        -- 1, 2, 3...: the ring's order; unique, so that of two rotations after one key only one is added.
        position integer NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        retired_at bigint,
        private_key_nonce bytea NOT NULL,
        private_key_sealed bytea NOT NULL
      );`,
  },
];
