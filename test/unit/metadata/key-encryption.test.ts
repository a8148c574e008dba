/**
 * The key-encryption key: its file (32 bytes, base64 or hex), and sealing a private key with
 * AES-256-GCM under it, bound to the key id. Errors name the file, never its contents.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createKeyEncryptionKey,
  parseKeyEncryptionKey,
  readKeyEncryptionKey,
} from '../../../main/metadata/postgres/key-encryption.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const KID = 'kid-1';
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnopqrstuvwxyz0123456789ABCD\n-----END PRIVATE KEY-----\n';

describe('parseKeyEncryptionKey', () => {
  const bytes = randomBytes(32);

  it('reads 32 bytes written as base64, base64url or hex, ignoring surrounding white space', () => {
    for (const text of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')])
      expect(parseKeyEncryptionKey(`  ${text}\n`)).toEqual(bytes);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('hex')],
    ['empty', ''],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses a key that is %s, saying how to make one', (_what, text) => {
    expect(() => parseKeyEncryptionKey(text)).toThrow(/32 random bytes .*openssl rand -base64 32/);
  });
});

describe('sealing a private key', () => {
  const kek = createKeyEncryptionKey(randomBytes(32));

  it('opens what it sealed, with a fresh nonce each time and no clear text in the sealed bytes', () => {
    const [a, b] = [kek.seal(KID, PEM), kek.seal(KID, PEM)];
    expect(kek.open(KID, a)).toBe(PEM);
    expect(a.nonce).toHaveLength(12);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.toString('latin1')).not.toContain('PRIVATE KEY');
  });

  it('refuses another key id, another key-encryption key, and altered bytes', () => {
    const sealed = kek.seal(KID, PEM);
    const other = createKeyEncryptionKey(randomBytes(32));
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0]! ^= 1;
    for (const attempt of [
      () => kek.open('kid-2', sealed),
      () => other.open(KID, sealed),
      () => kek.open(KID, { nonce: sealed.nonce, ciphertext: flipped }),
      () => kek.open(KID, { nonce: Buffer.alloc(3), ciphertext: sealed.ciphertext }),
    ]) {
      expect(attempt).toThrow(expect.objectContaining({ code: 'OUTPOST_KEK_WRONG' }));
    }
  });

  it('tells two keys apart by a fingerprint that is not the key', () => {
    const secret = randomBytes(32);
    const fingerprint = createKeyEncryptionKey(secret).fingerprint;
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(secret.toString('hex')).not.toContain(fingerprint);
    expect(createKeyEncryptionKey(randomBytes(32)).fingerprint).not.toBe(fingerprint);
  });
});

describe('readKeyEncryptionKey', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await createTempDir('outpost-kek-');
  });
  afterEach(() => temp.remove());

  it('reads the file', async () => {
    const secret = randomBytes(32);
    await writeFile(join(temp.path, 'kek'), secret.toString('base64'));
    const kek = await readKeyEncryptionKey(join(temp.path, 'kek'));
    expect(kek.fingerprint).toBe(createKeyEncryptionKey(secret).fingerprint);
  });

  it('names a missing file and the setting', async () => {
    const error = await readKeyEncryptionKey(join(temp.path, 'none')).catch((e) => e);
    expect(error).toMatchObject({ code: 'OUTPOST_KEK_INVALID' });
    expect(error.message).toMatch(/none \(--secret-key-file \/ OUTPOST_MAIN_SECRET_KEY_FILE\): it does not exist/);
  });

  it('names a file of the wrong length without echoing its contents', async () => {
    await writeFile(join(temp.path, 'kek'), 'hunter2-is-not-a-key');
    const error = await readKeyEncryptionKey(join(temp.path, 'kek')).catch((e) => e);
    expect(error.message).toContain(join(temp.path, 'kek'));
    expect(error.message).not.toContain('hunter2');
  });
});
