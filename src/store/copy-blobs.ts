/**
 * @module Copies every blob of one `BlobStore` into another (moving an installation to shared
 * storage). A blob the target already holds is skipped (so a re-run resumes); every other one is
 * streamed into the target's staging with its digest as the expectation, so the target hashes
 * it on the way and commits only bytes that match. A source blob whose bytes do not match its
 * name is reported and left behind, never copied.
 */
import type { Digest } from '../oci/digest.js';
import type { BlobStore } from './blob-store.js';
import { DigestMismatchError, SizeMismatchError } from './errors.js';

export interface BlobCopyProgress {
  copied: number;
  skipped: number;
  /** Bytes streamed into the target so far. */
  bytes: number;
  /** Source blobs whose bytes do not hash to their digest (or whose size changed while read). */
  corrupt: Digest[];
}

export async function copyBlobs(
  source: BlobStore,
  target: BlobStore,
  onProgress: (progress: Readonly<BlobCopyProgress>, digest: Digest) => void = () => {},
): Promise<BlobCopyProgress> {
  const progress: BlobCopyProgress = { copied: 0, skipped: 0, bytes: 0, corrupt: [] };
  for await (const digest of source.list()) {
    if (await target.stat(digest)) {
      progress.skipped++;
    } else {
      const blob = await source.open(digest);
      try {
        const staged = await target.stage(blob.stream(), { digest, size: blob.size });
        await target.commit(staged);
        progress.copied++;
        progress.bytes += blob.size;
      } catch (err) {
        if (!(err instanceof DigestMismatchError || err instanceof SizeMismatchError)) throw err;
        progress.corrupt.push(digest);
      }
    }
    onProgress(progress, digest);
  }
  return progress;
}
