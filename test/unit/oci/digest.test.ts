import { describe, expect, it } from 'vitest';
import {
  createDigestHasher,
  digestAlgorithm,
  digestHex,
  digestOf,
  isDigest,
  parseDigest,
  type Digest,
} from '../../../src/oci/digest.js';
import { OciError } from '../../../src/oci/errors.js';

// Published test vectors (FIPS 180-2 "abc", and the empty string).
const SHA256_EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA256_ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const SHA512_ABC =
  'sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3' +
  'feebbd454d4423643ce80e2a9ac94fa54ca49f';

const hex = (n: number, c = 'a'): string => c.repeat(n);

function digestError(value: string): OciError {
  try {
    parseDigest(value);
  } catch (err) {
    expect(err).toBeInstanceOf(OciError);
    return err as OciError;
  }
  throw new Error(`parseDigest accepted ${JSON.stringify(value)}`);
}

describe('parseDigest', () => {
  it('accepts a sha256 digest with 64 lowercase hex characters and returns it unchanged', () => {
    expect(parseDigest(SHA256_ABC)).toBe(SHA256_ABC);
  });

  it('accepts a sha512 digest with 128 lowercase hex characters', () => {
    expect(parseDigest(SHA512_ABC)).toBe(SHA512_ABC);
  });

  it.each([
    ['a sha256 digest with 63 hex characters', `sha256:${hex(63)}`],
    ['a sha256 digest with 65 hex characters', `sha256:${hex(65)}`],
    ['a sha256 digest with the length of a sha512 one', `sha256:${hex(128)}`],
    ['a sha512 digest with the length of a sha256 one', `sha512:${hex(64)}`],
    ['uppercase hex', `sha256:${hex(64, 'A')}`],
    ['a non-hex character', `sha256:${hex(63)}g`],
    ['an unregistered algorithm', `sha384:${hex(96)}`],
    ['an uppercase algorithm', `SHA256:${hex(64)}`],
    ['a missing algorithm', hex(64)],
    ['a missing hex part', 'sha256:'],
    ['an empty string', ''],
    ['a trailing newline', `${SHA256_ABC}\n`],
    ['leading whitespace', ` ${SHA256_ABC}`],
    ['a path traversal attempt', 'sha256:../../etc/passwd'],
  ])('rejects %s with DIGEST_INVALID', (_, value) => {
    const err = digestError(value);
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid digest: expected sha256:<64 hex> or sha512:<128 hex>');
    expect(err.detail).toEqual({ digest: value });
  });

  it('cuts the echoed digest in the error detail to 200 characters', () => {
    const value = `sha256:${hex(500)}`;
    expect(digestError(value).detail).toEqual({ digest: value.slice(0, 200) });
  });
});

describe('isDigest', () => {
  it('is true for valid sha256 and sha512 digests', () => {
    expect(isDigest(SHA256_EMPTY)).toBe(true);
    expect(isDigest(SHA512_ABC)).toBe(true);
  });

  it('is false for a wrong length, uppercase hex or an unknown algorithm', () => {
    expect(isDigest(`sha256:${hex(63)}`)).toBe(false);
    expect(isDigest(`sha256:${hex(64, 'F')}`)).toBe(false);
    expect(isDigest(`md5:${hex(32)}`)).toBe(false);
  });
});

describe('digestAlgorithm and digestHex', () => {
  it('split a digest at its colon', () => {
    const digest = parseDigest(SHA512_ABC);
    expect(digestAlgorithm(digest)).toBe('sha512');
    expect(digestHex(digest)).toBe(SHA512_ABC.slice('sha512:'.length));
  });
});

describe('digestOf', () => {
  it('hashes with sha256 by default (published vectors)', () => {
    expect(digestOf(new Uint8Array(0))).toBe(SHA256_EMPTY);
    expect(digestOf(Buffer.from('abc'))).toBe(SHA256_ABC);
  });

  it('hashes with sha512 when asked', () => {
    expect(digestOf(Buffer.from('abc'), 'sha512')).toBe(SHA512_ABC);
  });

  it('hashes only the bytes of a view, not its whole underlying buffer', () => {
    const whole = new TextEncoder().encode('xxabcxx');
    const view = new Uint8Array(whole.buffer, 2, 3);
    expect(digestOf(view)).toBe(SHA256_ABC);
  });
});

describe('createDigestHasher', () => {
  it('yields the same digest incrementally as digestOf does in one piece', () => {
    const hasher = createDigestHasher();
    for (const part of ['a', 'b', 'c']) hasher.update(Buffer.from(part));
    expect(hasher.algorithm).toBe('sha256');
    expect(hasher.digest()).toBe(SHA256_ABC);
  });

  it('yields a digest that parseDigest accepts, for each algorithm', () => {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const hasher = createDigestHasher(algorithm);
      hasher.update(Buffer.from('abc'));
      const digest: Digest = hasher.digest();
      expect(parseDigest(digest)).toBe(digest);
      expect(digestAlgorithm(digest)).toBe(algorithm);
    }
  });

  it('yields the empty-input digest when nothing was written', () => {
    expect(createDigestHasher().digest()).toBe(SHA256_EMPTY);
  });
});
