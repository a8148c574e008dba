/**
 * @module `Range` and `Content-Range` headers (RFC 9110 section 14), single ranges only.
 */
import { OciError } from '../oci/errors.js';
import type { ByteRange } from '../store/blob-store.js';

/**
 * Parses a request `Range` header against a blob of `size` bytes. Returns undefined when the
 * header is absent or not a bytes range (RFC 9110: a server MAY ignore it); throws
 * `RANGE_INVALID` (416, with `Content-Range: bytes * /size`) when it cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    // Multiple ranges or another unit: serve the whole representation.
    if (/^bytes=/.test(header.trim()) && !header.includes(',')) throw unsatisfiable(size);
    return undefined;
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    // Suffix range: the last N bytes.
    const suffix = Number(match[2]);
    if (suffix === 0) throw unsatisfiable(size);
    // RFC 9110 section 14.1.1: on an empty representation a non-zero suffix is satisfiable,
    // yet no Content-Range can describe zero bytes; ignoring the header serves it whole (200).
    if (size === 0) return undefined;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) throw unsatisfiable(size);
  }
  if (start >= size || !Number.isSafeInteger(start)) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): OciError {
  return new OciError('RANGE_INVALID', {
    message: 'requested range not satisfiable',
    detail: { size },
    headers: { 'Content-Range': `bytes */${size}` },
  });
}

export function formatContentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/**
 * Parses an upload chunk's `Content-Range: <start>-<end>` (distribution-spec "Pushing a blob in
 * chunks": no unit, inclusive). Returns undefined when absent; throws `BLOB_UPLOAD_INVALID`
 * when malformed.
 */
export function parseChunkRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match || Number(match[2]) < Number(match[1])) {
    throw new OciError('BLOB_UPLOAD_INVALID', {
      message: 'invalid Content-Range: expected <start>-<end>',
      detail: { contentRange: header.slice(0, 100) },
    });
  }
  return { start: Number(match[1]), end: Number(match[2]) };
}

/** The upload `Range` header value: `0-<last byte>`; `0-0` is how the spec writes an empty upload. */
export function formatUploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
