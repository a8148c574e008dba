/** @module Store failures, each with a stable `code`; `src/http/error-handler.ts` maps them to OCI codes. */
import type { Digest } from '../oci/digest.js';

export class BlobNotFoundError extends Error {
  readonly code = 'OUTPOST_BLOB_NOT_FOUND';
  constructor(readonly digest: Digest) {
    super(`blob ${digest} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class DigestMismatchError extends Error {
  readonly code = 'OUTPOST_DIGEST_MISMATCH';
  constructor(readonly expected: Digest, readonly actual: Digest) {
    super(`content digest ${actual} does not match expected ${expected}`);
    this.name = 'DigestMismatchError';
  }
}

export class SizeMismatchError extends Error {
  readonly code = 'OUTPOST_SIZE_MISMATCH';
  constructor(readonly expected: number, readonly actual: number) {
    super(`content length ${actual} does not match expected ${expected}`);
    this.name = 'SizeMismatchError';
  }
}
