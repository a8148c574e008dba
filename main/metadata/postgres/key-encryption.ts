/**
 * @module The key-encryption key (KEK) that protects signing keys at rest in PostgreSQL, read
 * from `--secret-key-file` (OUTPOST_MAIN_SECRET_KEY_FILE), and the sealing of one private key
 * with it: AES-256-GCM, a random 96-bit nonce per key, the key id as associated data (a sealed
 * key moved to another row does not open). The database never holds a private key in clear,
 * and none of these functions puts key material in an error message.
 *
 * The file holds 32 random bytes, base64 or hex (`openssl rand -base64 32`); every replica
 * reads the same file. Without it main refuses to start on PostgreSQL (main/config.ts); with a
 * different one it refuses too (`WrongKeyEncryptionKeyError`), rather than sign with a new key
 * that the other replicas could not read.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class KeyEncryptionKeyError extends Error {
  readonly code = 'OUTPOST_KEK_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyEncryptionKeyError';
  }
}

/** A sealed key does not open with this KEK: another KEK sealed it, or the row was altered. */
export class WrongKeyEncryptionKeyError extends Error {
  readonly code = 'OUTPOST_KEK_WRONG';
  constructor(readonly kid: string) {
    super(
      `signing key ${kid} in the database cannot be decrypted with the key-encryption key of ` +
        '--secret-key-file (OUTPOST_MAIN_SECRET_KEY_FILE): every replica must use the file the keys were ' +
        'sealed with',
    );
    this.name = 'WrongKeyEncryptionKeyError';
  }
}

export interface KeyEncryptionKey {
  /** A short fingerprint (SHA-256 of the key, 8 bytes hex), safe to log: tells two KEKs apart. */
  readonly fingerprint: string;
  seal(kid: string, plaintext: string): SealedKey;
  /** Throws `WrongKeyEncryptionKeyError` when the sealed key does not open. */
  open(kid: string, sealed: SealedKey): string;
}

/** What a row stores for one private key. */
export interface SealedKey {
  nonce: Buffer;
  /** The ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

/** The 32 bytes of a KEK file's contents (base64 or hex, surrounding white space ignored). */
export function parseKeyEncryptionKey(contents: string): Buffer {
  const text = contents.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)
      ? Buffer.from(text, 'base64')
      : undefined;
  if (bytes?.length !== KEY_BYTES) {
    throw new KeyEncryptionKeyError(
      'the key-encryption key must be 32 random bytes written as base64 or hex (create one with ' +
        '`openssl rand -base64 32 > FILE`)',
    );
  }
  return bytes;
}

export function createKeyEncryptionKey(key: Buffer): KeyEncryptionKey {
  if (key.length !== KEY_BYTES) throw new KeyEncryptionKeyError('the key-encryption key must be 32 bytes');
  const secret = Buffer.from(key);
  return {
    fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 16),
    seal(kid, plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, nonce);
      cipher.setAAD(Buffer.from(kid, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return { nonce, ciphertext };
    },
    open(kid, { nonce, ciphertext }) {
      if (nonce.length !== NONCE_BYTES || ciphertext.length < TAG_BYTES) throw new WrongKeyEncryptionKeyError(kid);
      try {
        const decipher = createDecipheriv('aes-256-gcm', secret, nonce);
        decipher.setAAD(Buffer.from(kid, 'utf8'));
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new WrongKeyEncryptionKeyError(kid);
      }
    },
  };
}

/** Reads the KEK file; `KeyEncryptionKeyError` naming the file (never its contents) when it is unusable. */
export async function readKeyEncryptionKey(path: string): Promise<KeyEncryptionKey> {
  let contents: string;
  try {
    contents = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyEncryptionKeyError(
      `cannot read the key-encryption key file ${path} (--secret-key-file / OUTPOST_MAIN_SECRET_KEY_FILE): ` +
        `${code === 'ENOENT' ? 'it does not exist' : (code ?? 'unreadable')}`,
      { cause: err },
    );
  }
  try {
    return createKeyEncryptionKey(parseKeyEncryptionKey(contents));
  } catch (err) {
    throw new KeyEncryptionKeyError(`${path}: ${(err as Error).message}`);
  }
}
