/**
 * @module Garbage collection of blobs no manifest references, safe while main serves.
 *
 * A blob is collected when no manifest references it (no `blobRefs` entry) and no repository
 * linked it within the grace period, so the layers of a push in progress are never touched.
 * Both conditions are re-checked inside the transaction that removes the index entries
 * (`RegistryMetadata.collectBlob`);
 * manifest puts check their blobs inside their own transaction, so one of the two wins cleanly.
 *
 * The blob goes to the store's trash (`BlobStore.trash`) BEFORE its index entries are removed,
 * so that a kill at any point leaves a state start-up repair (repair.ts) resolves:
 *   - killed after the move, before the transaction: entry without file, the file in the trash:
 *     repair puts it back (and a later collection takes it again);
 *   - killed after the transaction: the file in the trash and no entry: emptied at start-up.
 * (The other order left a file in `blobs/` with no entry, which nothing ever looked at again.)
 * When the transaction keeps the blob after all, or an upload committed the same digest
 * meanwhile (uploads write the index before linking the file), the file is put back.
 */
import type { BlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { RegistryMetadata } from '../metadata/registry.js';

export interface GcOptions {
  metadata: RegistryMetadata;
  store: BlobStore;
  now: () => number;
  /** Blobs linked more recently than this are kept even when unreferenced. */
  graceMs: number;
  dryRun?: boolean;
  logger: Logger;
  /** Told after each candidate blob (the gc job's progress); `total` is the number of candidates. */
  onProgress?: (done: number, total: number, removedBytes: number) => void;
  /** Stops between blobs when aborted (a cancelled gc job); rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface GcResult {
  /** Blobs examined in the index. */
  scanned: number;
  /** Blobs removed (or that would be, in a dry run). */
  removed: number;
  removedBytes: number;
}

export async function collectGarbage({
  metadata,
  store,
  now,
  graceMs,
  dryRun = false,
  logger,
  onProgress,
  signal,
}: GcOptions): Promise<GcResult> {
  const cutoff = now() - graceMs;
  const { blobs: scanned } = await metadata.blobTotals();
  const candidates = await metadata.collectableBlobs(cutoff);
  let removed = 0;
  let removedBytes = 0;
  let done = 0;
  for (const digest of candidates) {
    signal?.throwIfAborted();
    const trash = dryRun ? undefined : await store.trash(digest);
    let size: number | undefined;
    try {
      size = await metadata.collectBlob(digest, cutoff, dryRun);
    } finally {
      // Kept after all, the transaction failed, or an upload committed the digest meanwhile.
      if (trash !== undefined && (await metadata.getBlob(digest))) await store.restore(trash);
    }
    if (trash !== undefined) await store.purgeTrashed(trash);
    onProgress?.(++done, candidates.length, removedBytes + (size ?? 0));
    if (size === undefined) continue;
    removed++;
    removedBytes += size;
  }
  logger.info(dryRun ? 'garbage collection dry run' : 'garbage collection finished', {
    scanned,
    removed,
    removedBytes,
  });
  return { scanned, removed, removedBytes };
}
