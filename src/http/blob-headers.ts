/** @module The headers of a blob response, the same on main, on the edge and on its hot path. */
import type { ByteRange } from '../store/blob-store.js';
import { formatContentRange } from './range.js';

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
