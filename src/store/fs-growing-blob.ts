/**
 * @module A blob written under a temporary name of the file system store while readers read it
 * (the edge's serve-while-downloading): one file descriptor, positional writes and reads, so a
 * reader never waits for more than the bytes it asks for. Private to fs-blob-store.ts.
 */
import { open, rm } from 'node:fs/promises';
import type { Digest } from '../oci/digest.js';
import type { GrowingBlob } from './blob-store.js';
import { writeAll } from './file-io.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

/**
 * Creates the file at `tempPath` (which must not exist); `linkAs` gives it its final name.
 * Throws the file system's error (ENOSPC, EROFS, ...) when it cannot be created.
 */
export async function createFsGrowingBlob(
  tempPath: string,
  linkAs: (path: string, digest: Digest) => Promise<void>,
): Promise<GrowingBlob> {
  const file = await open(tempPath, 'wx+', PRIVATE_FILE_MODE);
  let dropped: Promise<void> | undefined;
  return {
    write: (chunks, position) => writeAll(file, chunks, position),
    read: async (buffer, length, position) => (await file.read(buffer, 0, length, position)).bytesRead,
    async adopt(digest) {
      await file.sync();
      await linkAs(tempPath, digest);
    },
    drop() {
      dropped ??= (async () => {
        await file.close().catch(() => {});
        // A failing disk may refuse this too: start-up removes leftovers (removeTemporaryFiles).
        await rm(tempPath, { force: true }).catch(() => {});
      })();
      return dropped;
    },
  };
}
