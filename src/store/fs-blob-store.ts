/**
 * @module `BlobStore` on a local file system: temp file + hash + fsync + link.
 */
import { open, opendir, readdir, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { digestAlgorithm, isDigest, type Digest } from '../oci/digest.js';
import { BlobPaths } from './blob-paths.js';
import type { BlobStore, ByteRange, OpenBlob, StagedBlob, StageExpectation } from './blob-store.js';
import { BlobNotFoundError, DigestMismatchError, SizeMismatchError } from './errors.js';
import { linkIntoPlace, writeFileHashed } from './file-io.js';
import { mkdirPrivate } from './private-files.js';

// 256 KiB reads: few syscalls per GiB, and little garbage per stream under many concurrent readers.
const READ_CHUNK_BYTES = 256 * 1024;

export class FsBlobStore implements BlobStore {
  readonly paths: BlobPaths;

  private constructor(root: string) {
    this.paths = new BlobPaths(root);
  }

  /** Creates the directory layout if needed. */
  static async create(root: string): Promise<FsBlobStore> {
    const store = new FsBlobStore(root);
    for (const dir of [store.paths.blobsDir, store.paths.uploadsDir, store.paths.tmpDir, store.paths.trashDir]) {
      await mkdirPrivate(dir);
    }
    return store;
  }

  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    try {
      const info = await stat(this.paths.blob(digest));
      return { size: info.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async open(digest: Digest): Promise<OpenBlob> {
    let handle;
    try {
      handle = await open(this.paths.blob(digest), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw err;
    }
    let size: number;
    try {
      ({ size } = await handle.stat());
    } catch (err) {
      // Closed here, or only by the garbage collector (Node's DEP0137 warning).
      await handle.close().catch(() => {});
      throw err;
    }
    let taken = false;
    const file = handle;
    return {
      digest,
      size,
      stream(range?: ByteRange): Readable {
        taken = true;
        if (size === 0) {
          void file.close();
          return Readable.from([]);
        }
        return file.createReadStream({
          start: range?.start ?? 0,
          end: range?.end ?? size - 1,
          highWaterMark: READ_CHUNK_BYTES,
          autoClose: true,
        });
      },
      async close() {
        if (!taken) await file.close();
      },
    };
  }

  async stage(source: AsyncIterable<Uint8Array>, expect: StageExpectation = {}): Promise<StagedBlob> {
    const path = this.paths.newTemp();
    const written = await writeFileHashed(path, source, expect.digest ? digestAlgorithm(expect.digest) : 'sha256');
    const staged = { path, ...written };
    if (expect.size !== undefined && written.size !== expect.size) {
      await this.discard(staged);
      throw new SizeMismatchError(expect.size, written.size);
    }
    if (expect.digest !== undefined && written.digest !== expect.digest) {
      await this.discard(staged);
      throw new DigestMismatchError(expect.digest, written.digest);
    }
    return staged;
  }

  async commit(staged: StagedBlob): Promise<void> {
    try {
      await linkIntoPlace(staged.path, this.paths.blob(staged.digest));
    } catch (err) {
      // A repeated commit (a retried request) finds its temporary file already gone; with the
      // blob in place that is the success the first call reported, as the contract promises.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (await this.stat(staged.digest)) === undefined) throw err;
    }
    await rm(staged.path, { force: true });
  }

  async discard(staged: StagedBlob): Promise<void> {
    await rm(staged.path, { force: true });
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.paths.blob(digest), { force: true });
  }

  /**
   * Every blob file in its place. Anything else under `blobs/` (a file in the wrong fan-out
   * directory, a name that is no digest, a file where a directory belongs) is not yielded but
   * passed to `onStray`: start-up repair must never act on a path that `blob(digest)` does not
   * build, and must never stop on one either.
   */
  async *list(onStray: (path: string) => void = () => {}): AsyncIterable<Digest> {
    for (const algorithm of await readdirOrEmpty(this.paths.blobsDir)) {
      for (const prefix of await readdirOrEmpty(join(this.paths.blobsDir, algorithm))) {
        const prefixDir = join(this.paths.blobsDir, algorithm, prefix);
        let dir;
        try {
          dir = await opendir(prefixDir);
        } catch {
          onStray(prefixDir);
          continue;
        }
        for await (const entry of dir) {
          const digest = `${algorithm}:${entry.name}`;
          const path = join(prefixDir, entry.name);
          if (entry.isFile() && isDigest(digest) && this.paths.blob(digest as Digest) === path) yield digest as Digest;
          else onStray(path);
        }
      }
    }
  }

  async removeTemporaryFiles(): Promise<number> {
    let removed = 0;
    for (const dir of [this.paths.tmpDir, this.paths.trashDir]) {
      for (const name of await readdirOrEmpty(dir)) {
        await rm(join(dir, name), { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    // A file where a directory belongs (`blobs/sha256` as a file) holds no blobs either.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}
