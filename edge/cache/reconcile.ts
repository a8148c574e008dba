/**
 * @module Start-up repair of the edge's store: leftovers of interrupted downloads are removed,
 * index entries whose file is gone are dropped, and files without an entry are indexed again
 * (they were verified before they were linked into place, so they are good content).
 */
import { stat } from 'node:fs/promises';
import type { FsBlobStore } from '../../src/store/fs-blob-store.js';
import type { CacheIndex } from './cache-index.js';

export interface ReconcileReport {
  temporaryFilesRemoved: number;
  entriesDropped: number;
  filesIndexed: number;
}

export async function reconcile(store: FsBlobStore, index: CacheIndex, now: number): Promise<ReconcileReport> {
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
  for await (const digest of store.list()) {
    if (index.get(digest)) continue;
    const info = await stat(store.paths.blob(digest));
    await index.add(digest, info.size, Math.min(now, info.mtimeMs));
    filesIndexed++;
  }
  return { temporaryFilesRemoved, entriesDropped, filesIndexed };
}
