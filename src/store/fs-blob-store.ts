/**
 * @module `BlobStore` on a local file system: temp file + hash + fsync + link. The only module
 * (with its private helpers fs-*.ts, blob-paths.ts and file-io.ts) that knows where blob bytes
 * are; callers hold digests and opaque handles (test/unit/architecture/dependency-rules.test.ts).
 */
import { open, opendir, readdir, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { digestAlgorithm, isDigest, type Digest } from '../oci/digest.js';
import { BlobPaths } from './blob-paths.js';
import type {
  BlobStore,
  ByteRange,
  GrowingBlob,
  HardLinkSource,
  LocalBlobStore,
  OpenBlob,
  StagedBlob,
  StageExpectation,
  StoredFile,
  TrashedBlob,
} from './blob-store.js';
import { BlobNotFoundError, DigestMismatchError, SizeMismatchError } from './errors.js';
import { linkIntoPlace, writeFileHashed } from './file-io.js';
import { FsBlobUploads } from './fs-blob-uploads.js';
import { createFsGrowingBlob } from './fs-growing-blob.js';
import { mkdirPrivate } from './private-files.js';

// 256 KiB reads: few syscalls per GiB, and little garbage per stream under many concurrent readers.
const READ_CHUNK_BYTES = 256 * 1024;

export class FsBlobStore implements LocalBlobStore, HardLinkSource {
  private readonly paths: BlobPaths;
  /** Where the bytes of each staged or trashed blob handed out are: the handles stay opaque. */
  private readonly handles = new WeakMap<StagedBlob | TrashedBlob, string>();
  readonly uploads: FsBlobUploads;

  private constructor(root: string) {
    this.paths = new BlobPaths(root);
    this.uploads = new FsBlobUploads(this.paths, (path, digest, size) => this.handle(path, { digest, size }));
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

  async openFile(digest: Digest): Promise<StoredFile> {
    let file;
    try {
      file = await open(this.paths.blob(digest), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw err;
    }
    try {
      const { size, mtimeMs } = await file.stat();
      return { file, size, modifiedAt: mtimeMs };
    } catch (err) {
      // Closed here, or only by the garbage collector (Node's DEP0137 warning).
      await file.close().catch(() => {});
      throw err;
    }
  }

  async open(digest: Digest): Promise<OpenBlob> {
    const { file, size } = await this.openFile(digest);
    let taken = false;
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
    if (expect.size !== undefined && written.size !== expect.size) {
      await rm(path, { force: true });
      throw new SizeMismatchError(expect.size, written.size);
    }
    if (expect.digest !== undefined && written.digest !== expect.digest) {
      await rm(path, { force: true });
      throw new DigestMismatchError(expect.digest, written.digest);
    }
    return this.handle(path, { digest: written.digest, size: written.size });
  }

  async commit(staged: StagedBlob): Promise<void> {
    const path = this.pathOf(staged);
    try {
      await linkIntoPlace(path, this.paths.blob(staged.digest));
    } catch (err) {
      // A repeated commit (a retried request) finds its temporary file already gone; with the
      // blob in place that is the success the first call reported, as the contract promises.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (await this.stat(staged.digest)) === undefined) throw err;
    }
    await rm(path, { force: true });
  }

  async hardLinkInto(digest: Digest, target: BlobStore): Promise<boolean> {
    if (!(target instanceof FsBlobStore)) return false;
    try {
      await linkIntoPlace(this.paths.blob(digest), target.paths.blob(digest));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new BlobNotFoundError(digest);
      // Another file system (EXDEV), or one without hard links (EPERM, as on some FUSE mounts).
      if (code === 'EXDEV' || code === 'EPERM') return false;
      throw err;
    }
    return true;
  }

  async discard(staged: StagedBlob): Promise<void> {
    await rm(this.pathOf(staged), { force: true });
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
  async *list(onStray: (where: string) => void = () => {}): AsyncIterable<Digest> {
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

  /** A rename within the store's file system: atomic, and an open file keeps its readers. */
  async trash(digest: Digest): Promise<TrashedBlob | undefined> {
    const path = this.paths.newTrash(digest);
    try {
      await rename(this.paths.blob(digest), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return this.handle(path, { digest });
  }

  async restore(trashed: TrashedBlob): Promise<void> {
    const path = this.pathOf(trashed);
    try {
      await linkIntoPlace(path, this.paths.blob(trashed.digest));
    } catch (err) {
      // Restored and purged already (a repeated call): fine when the blob is in place.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (await this.stat(trashed.digest)) === undefined)
        throw err;
    }
  }

  async purgeTrashed(trashed: TrashedBlob): Promise<void> {
    await rm(this.pathOf(trashed), { force: true });
  }

  async *listTrash(): AsyncIterable<TrashedBlob> {
    for (const name of await readdirOrEmpty(this.paths.trashDir)) {
      const digest = this.paths.trashedDigest(name);
      if (digest) yield this.handle(join(this.paths.trashDir, name), { digest });
    }
  }

  async removeTemporaryFiles(olderThan?: number): Promise<number> {
    let removed = 0;
    for (const dir of [this.paths.tmpDir, this.paths.trashDir]) {
      for (const name of await readdirOrEmpty(dir)) {
        const path = join(dir, name);
        if (olderThan !== undefined) {
          // A trashed blob keeps the mtime of its content: the rename that trashed it set ctime.
          const info = await stat(path).catch(() => undefined);
          if (info === undefined) continue;
          const changed = dir === this.paths.trashDir ? Math.max(info.mtimeMs, info.ctimeMs) : info.mtimeMs;
          if (changed >= olderThan) continue;
        }
        await rm(path, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  createGrowing(): Promise<GrowingBlob> {
    return createFsGrowingBlob(this.paths.newTemp(), (path, digest) => linkIntoPlace(path, this.paths.blob(digest)));
  }

  private handle<T extends StagedBlob | TrashedBlob>(path: string, handle: T): T {
    const frozen = Object.freeze(handle);
    this.handles.set(frozen, path);
    return frozen;
  }

  private pathOf(handle: StagedBlob | TrashedBlob): string {
    const path = this.handles.get(handle);
    if (path === undefined) throw new TypeError('not a handle of this blob store');
    return path;
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
