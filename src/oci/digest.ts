/**
 * @module Content digests: parsing, the branded `Digest` type and hashing.
 *
 * A `Digest` can only be made by `parseDigest` or by hashing, so any string typed `Digest`
 * is safe to use in a file path (the hex part is checked, the algorithm is from a fixed set).
 */
import { createHash, type Hash } from 'node:crypto';
import { OciError } from './errors.js';

declare const digestBrand: unique symbol;
export type Digest = string & { readonly [digestBrand]: true };

export type DigestAlgorithm = 'sha256' | 'sha512';

// OCI image-spec "Digests": registered algorithms with their exact encoded lengths.
const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_PATTERN = /^(sha256|sha512):([a-f0-9]+)$/;

/** Parses `algorithm:hex`; throws `DIGEST_INVALID` for anything else. */
export function parseDigest(value: string): Digest {
  const match = DIGEST_PATTERN.exec(value);
  if (!match || match[2]!.length !== ENCODED_LENGTH[match[1] as DigestAlgorithm]) {
    throw new OciError('DIGEST_INVALID', {
      message: 'invalid digest: expected sha256:<64 hex> or sha512:<128 hex>',
      detail: { digest: value.slice(0, 200) },
    });
  }
  return value as Digest;
}

export function isDigest(value: string): boolean {
  const match = DIGEST_PATTERN.exec(value);
  return match !== null && match[2]!.length === ENCODED_LENGTH[match[1] as DigestAlgorithm];
}

export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** An incremental hasher that yields a `Digest`. */
export interface DigestHasher {
  readonly algorithm: DigestAlgorithm;
  update(chunk: Uint8Array): void;
  digest(): Digest;
}

export function createDigestHasher(algorithm: DigestAlgorithm = 'sha256'): DigestHasher {
  const hash: Hash = createHash(algorithm);
  return {
    algorithm,
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest('hex')}` as Digest,
  };
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}
