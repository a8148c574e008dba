/**
 * @module Start-up repair of the edge's store: leftovers of interrupted downloads are removed,
 * index entries whose file is gone are dropped, and files without an entry are indexed again
 * (they were verified before they were linked into place, so they are good content).
 *
 * A file that is not where its name puts it (the wrong fan-out directory, a name that is no
 * digest) is left alone and logged: the cache never serves it, and nothing here may touch the
 * path its name builds instead. A file that cannot be read is logged and skipped: reconciling
 * never stops the start.
 */
import type { LocalBlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { CacheIndex } from './cache-index.js';

export interface ReconcileReport {
  temporaryFilesRemoved: number;
  entriesDropped: number;
  filesIndexed: number;
  /** Files under `blobs/` not where their name puts them: left in place, logged. */
  strayFiles: number;
  /** Files that could not be indexed (logged with the reason); the next start tries again. */
  failures: number;
}

export async function reconcile(
  store: LocalBlobStore,
  index: CacheIndex,
  now: number,
  logger: Logger,
): Promise<ReconcileReport> {
  const temporaryFilesRemoved = await store.removeTemporaryFiles();
  let entriesDropped = 0;
  for (const { digest, entry } of [...index.entries()]) {
    const onDisk = await store.stat(digest);
    if (!onDisk || onDisk.size !== entry.size) {
      await index.remove(digest);
      if (onDisk) await store.delete(digest);
      entriesDropped++;
    }
  }
  let filesIndexed = 0;
  let strayFiles = 0;
  let failures = 0;
  const onStray = (path: string) => {
    strayFiles++;
    logger.warn('a file under blobs/ is not where its name puts it: left alone, never served', { path });
  };
  for await (const digest of store.list(onStray)) {
    if (index.get(digest)) continue;
    try {
      const { file, size, modifiedAt } = await store.openFile(digest);
      await file.close();
      await index.add(digest, size, Math.min(now, modifiedAt));
      filesIndexed++;
    } catch (err) {
      failures++;
      logger.warn('could not index a cached blob file: skipped', { digest, error: (err as Error).message });
    }
  }
  return { temporaryFilesRemoved, entriesDropped, filesIndexed, strayFiles, failures };
}
