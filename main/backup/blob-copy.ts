/**
 * @module Copies a given list of blobs from one `BlobStore` into another, for backup and restore.
 * A blob the target holds already is skipped (an incremental backup copies only new blobs).
 * Every other one is hard-linked when asked and possible, or streamed into the target's staging
 * with its digest and size as the expectation: the target hashes it on the way, fsyncs it and
 * links it into place under its name, so only verified bytes ever appear there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Digest } from '../../src/oci/digest.js';
import { canHardLink, type BlobStore } from '../../src/store/blob-store.js';
import { BlobNotFoundError, DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';

export interface BlobToCopy {
  digest: Digest;
  size: number;
}

export interface BlobCopyOptions {
  /** Hard-link instead of copying where the stores allow it (same file system). */
  link?: boolean;
  /**
   * How long a blob that is not (yet) in the source is looked for again: a push links its file
   * just after indexing it, and a collection that a hold stopped puts its file back.
   */
  missingRetryMs?: number;
  /** Blobs copied at once (several small ones keep the disk busy). */
  concurrency?: number;
  /** Called once per blob done, found already there or linked, with its size. */
  onBlob?: (size: number) => void;
}

export interface BlobCopyResult {
  copied: number;
  linked: number;
  /** Already in the target: not copied again. */
  present: number;
  /** Bytes streamed into the target (not linked ones). */
  bytesCopied: number;
  /** Not in the source. */
  missing: Digest[];
  /** In the source, but its bytes do not hash to its digest (or its size differs). */
  corrupt: Digest[];
}

const RETRY_EVERY_MS = 100;

export async function copyBlobList(
  source: BlobStore,
  target: BlobStore,
  blobs: readonly BlobToCopy[],
  options: BlobCopyOptions = {},
): Promise<BlobCopyResult> {
  const result: BlobCopyResult = { copied: 0, linked: 0, present: 0, bytesCopied: 0, missing: [], corrupt: [] };
  const { link = false, missingRetryMs = 0, concurrency = 4, onBlob = () => {} } = options;
  let linkable = link && canHardLink(source);

  const copyOne = async (blob: BlobToCopy): Promise<void> => {
    const there = await target.stat(blob.digest);
    if (there?.size === blob.size) {
      result.present++;
      return;
    }
    for (let waited = 0; ; waited += RETRY_EVERY_MS) {
      try {
        if (linkable && canHardLink(source)) {
          if (await source.hardLinkInto(blob.digest, target)) {
            result.linked++;
            return;
          }
          linkable = false; // another file system: copy this one and the rest
        }
        const open = await source.open(blob.digest);
        try {
          const staged = await target.stage(open.stream(), { digest: blob.digest, size: blob.size });
          await target.commit(staged);
        } finally {
          await open.close();
        }
        result.copied++;
        result.bytesCopied += blob.size;
        return;
      } catch (err) {
        if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) {
          result.corrupt.push(blob.digest);
          return;
        }
        if (!(err instanceof BlobNotFoundError)) throw err;
        if (waited >= missingRetryMs) {
          result.missing.push(blob.digest);
          return;
        }
        await sleep(RETRY_EVERY_MS);
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < blobs.length) {
      const blob = blobs[next++]!;
      await copyOne(blob);
      onBlob(blob.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, blobs.length) }, worker));
  return result;
}
