/**
 * @module Password hashing with scrypt (node:crypto), compared in constant time.
 *
 * Stored form: `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`, so parameters can be raised later
 * without invalidating existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// The shortest stored hash accepted when verifying.
const MIN_KEY_LENGTH = 16;
// N=2^15, r=8 needs 32 MiB; Node's default cap is exactly that, so raise it a little.
const MAX_MEMORY = 64 * 2 ** 20;

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, { N, r: R, p: P }, KEY_LENGTH);
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  // A damaged record must refuse, not accept: a hash of zero bytes would equal any password's
  // zero-length key, and a very short one would be guessable.
  if (expected.length < MIN_KEY_LENGTH) return false;
  let actual: Buffer;
  try {
    actual = await derive(
      password,
      Buffer.from(salt, 'base64'),
      { N: Number(n), r: Number(r), p: Number(p) },
      expected.length,
    );
  } catch {
    // Parameters scrypt rejects (not a power of two, beyond the memory cap, not numbers).
    return false;
  }
  return timingSafeEqual(actual, expected);
}

/** The longest password that can be set; sign-in refuses longer ones without hashing them. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Rules for a new password: long enough to resist guessing, short enough to hash quickly. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'password must be at least 8 characters';
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}
