/** @module Store failures, each with a stable `code`; `src/http/error-handler.ts` maps them to OCI codes. */
import { constants } from 'node:os';
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
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
  ) {
    super(`content digest ${actual} does not match expected ${expected}`);
    this.name = 'DigestMismatchError';
  }
}

export class SizeMismatchError extends Error {
  readonly code = 'OUTPOST_SIZE_MISMATCH';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`content length ${actual} does not match expected ${expected}`);
    this.name = 'SizeMismatchError';
  }
}

/**
 * A backend the request needs (the metadata database, the object store) cannot be reached or
 * refused the connection. Nothing of the request was applied; the client may retry. The message
 * names the backend only: connection strings carry credentials and never reach a response.
 */
export class BackendUnavailableError extends Error {
  readonly code = 'OUTPOST_BACKEND_UNAVAILABLE';
  constructor(
    readonly backend: 'database' | 'blob store',
    options?: { cause?: unknown },
  ) {
    super(`the ${backend} is unavailable`, options);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * What a failed storage write means to a client, from its errno-style `code` (Node's fs errors,
 * and lmdb-js commit failures classified in src/store/lmdb.ts): `full` for a full file system
 * or an exhausted quota, `io` for an I/O error or a read-only file system; undefined otherwise.
 */
export function storageFailureOf(err: unknown): 'full' | 'io' | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code === 'EIO' || code === 'EROFS') return 'io';
  return undefined;
}

/** An error's code as a name: lmdb-js reports errno values as numbers (28), Node as names (ENOSPC). */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (typeof code !== 'number') return undefined;
  return Object.entries(constants.errno).find(([, value]) => value === code)?.[0] ?? String(code);
}
