/**
 * @module The signing-keys family: the key ring's records (`KeyStore`), each key's public facts
 * and its private key. The interface is declared next to the ring that uses it
 * (src/auth/keys.ts, shared core, which must not import main/) and re-exported here so that
 * main's metadata families are found in one place.
 *
 * Backends: files in the data directory for the embedded main (lmdb/keys.ts, the layout main
 * has always used); PostgreSQL rows with each private key encrypted under the key-encryption
 * key (postgres/keys.ts). A store never logs or returns a private key except to the ring.
 */
export type { KeyEntry, KeyStore } from '../../src/auth/keys.js';
