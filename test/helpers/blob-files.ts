/**
 * A data directory's blob store as tests that simulate crashes on disk need it: a second
 * `FsBlobStore` on the same directory (the file system store keeps no state of its own that
 * matters there), and the layout (`BlobPaths`), which only the store and such tests may use.
 */
import { BlobPaths } from '../../src/store/blob-paths.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';

export interface BlobFiles {
  store: FsBlobStore;
  paths: BlobPaths;
}

export async function openBlobFiles(dataDir: string): Promise<BlobFiles> {
  return { store: await FsBlobStore.create(dataDir), paths: new BlobPaths(dataDir) };
}
