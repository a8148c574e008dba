/** @module The headers of a blob response, the same on main, on the edge and on its hot path. */
import type { ByteRange } from '../store/blob-store.js';
import { formatContentRange, parseRange } from './range.js';

/**
 * Headers for `size` bytes of `digest`, or for `range` of it (then with `Content-Range`):
 * the spec's `Docker-Content-Digest`, an `ETag` that never changes for a digest, and
 * `Accept-Ranges` so that clients can resume.
 */
export function blobHeaders(digest: string, size: number, range?: ByteRange): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(range ? range.end - range.start + 1 : size),
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
  };
  if (range) headers['Content-Range'] = formatContentRange(range, size);
  return headers;
}

export interface BlobResponsePlan {
  status: 200 | 206;
  headers: Record<string, string>;
  range?: ByteRange;
  /** Bytes the body will carry. */
  length: number;
}

/**
 * Status, headers and range for answering `Range: rangeHeader` with an opened blob; when the
 * range cannot be satisfied the blob is closed and `RANGE_INVALID` (416) thrown.
 */
export async function planBlobResponse(
  digest: string,
  blob: { size: number; close(): Promise<void> },
  rangeHeader: string | undefined,
): Promise<BlobResponsePlan> {
  let range: ByteRange | undefined;
  try {
    range = parseRange(rangeHeader, blob.size);
  } catch (err) {
    await blob.close();
    throw err;
  }
  return {
    status: range ? 206 : 200,
    headers: blobHeaders(digest, blob.size, range),
    length: range ? range.end - range.start + 1 : blob.size,
    ...(range && { range }),
  };
}
