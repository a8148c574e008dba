/**
 * @module Garbage collection of blobs no manifest references, safe while main serves.
 *
 * A blob is collected when no manifest references it (no `blobRefs` entry) and no repository
 * linked it within the grace period, so the layers of a push in progress are never touched.
 * Both conditions are re-checked inside the LMDB transaction that removes the index entries;
 * manifest puts check their blobs inside their own transaction, so one of the two wins cleanly.
 *
 * The file is then moved to `trash/` and the index is read again: if an upload committed the
 * same digest meanwhile (uploads write the index before linking the file), the file is put back.
 */
import { rename, rm } from 'node:fs/promises';
import type { Digest } from '../../src/oci/digest.js';
import type { BlobPaths } from '../../src/store/blob-paths.js';
import { linkIntoPlace } from '../../src/store/file-io.js';
import { prefixRange, splitKey } from '../../src/store/lmdb.js';
import type { Logger } from '../../src/log/logger.js';
import type { MetadataDb } from './metadata-db.js';

export interface GcOptions {
  db: MetadataDb;
  paths: BlobPaths;
  now: () => number;
  /** Blobs linked more recently than this are kept even when unreferenced. */
  graceMs: number;
  dryRun?: boolean;
  logger: Logger;
}

export interface GcResult {
  /** Blobs examined in the index. */
  scanned: number;
  /** Blobs removed (or that would be, in a dry run). */
  removed: number;
  removedBytes: number;
}

export async function collectGarbage({ db, paths, now, graceMs, dryRun = false, logger }: GcOptions): Promise<GcResult> {
  const cutoff = now() - graceMs;
  const isReferenced = (digest: string): boolean => {
    for (const _ of db.blobRefs.getKeys({ ...prefixRange([digest]), limit: 1 })) return true;
    return false;
  };
  const candidates: Digest[] = [];
  let scanned = 0;
  for (const { key: digest, value } of db.blobs.getRange()) {
    scanned++;
    if (value.linkedAt < cutoff && !isReferenced(digest)) candidates.push(digest as Digest);
  }
  // Which repositories link each candidate, read once (repoBlobs is keyed by repository first).
  const links = new Map<string, string[]>(candidates.map((d) => [d, []]));
  if (candidates.length > 0) {
    for (const linkKey of db.repoBlobs.getKeys()) {
      links.get(splitKey(linkKey)[1]!)?.push(linkKey);
    }
  }
  let removed = 0;
  let removedBytes = 0;
  for (const digest of candidates) {
    const size = await db.transaction(() => {
      const record = db.blobs.get(digest);
      if (!record || record.linkedAt >= cutoff || isReferenced(digest)) return undefined;
      if (!dryRun) {
        db.blobs.remove(digest);
        for (const linkKey of links.get(digest) ?? []) db.repoBlobs.remove(linkKey);
      }
      return record.size;
    });
    if (size === undefined) continue;
    removed++;
    removedBytes += size;
    if (!dryRun) await removeFile(digest);
  }
  logger.info(dryRun ? 'garbage collection dry run' : 'garbage collection finished', { scanned, removed, removedBytes });
  return { scanned, removed, removedBytes };

  async function removeFile(digest: Digest): Promise<void> {
    const trash = paths.newTrash(digest);
    try {
      await rename(paths.blob(digest), trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (db.blobs.doesExist(digest)) await linkIntoPlace(trash, paths.blob(digest));
    await rm(trash, { force: true });
  }
}
