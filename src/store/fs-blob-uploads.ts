/**
 * @module Resumable uploads of the file system store: a session's bytes are one file under
 * `uploads/`, written in place chunk after chunk. Private to fs-blob-store.ts.
 *
 * Durability: `append` fsyncs before it resolves, and the caller's stored size says which bytes
 * count. A crash in the middle of a chunk leaves a torn tail past that size, which the next
 * `append` truncates away and `complete` ignores. The file system needs no upload state (it is
 * always `null`). The hash of a session whose chunks arrive in order on this process is kept in
 * memory, so completing costs no second read; otherwise (a restart, another replica appended,
 * sha512) the file is hashed again at completion.
 */
import { open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDigestHasher, digestAlgorithm, type Digest, type DigestHasher } from '../oci/digest.js';
import type { BlobPaths } from './blob-paths.js';
import { isUploadId, type AppendOptions, type BlobUploads, type StagedBlob, type UploadState } from './blob-store.js';
import { DigestMismatchError, SizeMismatchError } from './errors.js';
import { hashFile, writeChunks } from './file-io.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

export class FsBlobUploads implements BlobUploads {
  /** The running hash of sessions appended in order here, and the offset it reached. */
  private readonly hashers = new Map<string, { hasher: DigestHasher; offset: number }>();

  constructor(
    private readonly paths: BlobPaths,
    /** Hands out a staged blob whose bytes are the file at `path` (fs-blob-store.ts owns handles). */
    private readonly staged: (path: string, digest: Digest, size: number) => StagedBlob,
  ) {}

  async begin(id: string): Promise<UploadState> {
    await writeFile(this.paths.upload(id), new Uint8Array(0), { flag: 'wx', mode: PRIVATE_FILE_MODE });
    this.hashers.set(id, { hasher: createDigestHasher('sha256'), offset: 0 });
    return null;
  }

  async append(
    id: string,
    _state: UploadState,
    offset: number,
    source: AsyncIterable<Uint8Array>,
    options: AppendOptions = {},
  ): Promise<{ size: number; state: UploadState }> {
    const running = this.hashers.get(id);
    const hasher = running?.offset === offset ? running.hasher : undefined;
    // From here the running hash is only valid again if this chunk lands whole.
    this.hashers.delete(id);
    const handle = await open(this.paths.upload(id), 'r+');
    let written: number;
    try {
      await handle.truncate(offset);
      written = await writeChunks(handle, source, offset, hasher);
      if (options.length !== undefined && written !== options.length) {
        throw new SizeMismatchError(options.length, written);
      }
      await handle.sync();
    } catch (err) {
      // Drop the torn tail now (a full disk, a client gone mid-chunk): the space comes back at
      // once and the file holds exactly the bytes the session counts.
      await handle.truncate(offset).catch(() => {});
      throw err;
    } finally {
      await handle.close();
    }
    if (hasher) this.hashers.set(id, { hasher, offset: offset + written });
    return { size: offset + written, state: null };
  }

  async complete(id: string, _state: UploadState, expect: { digest: Digest; size: number }): Promise<StagedBlob> {
    const path = this.paths.upload(id);
    const running = this.hashers.get(id);
    this.hashers.delete(id);
    // Bytes past the counted size (a torn tail left by a crash) are no part of the blob.
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      if (size < expect.size) throw new SizeMismatchError(expect.size, size);
      if (size > expect.size) {
        await handle.truncate(expect.size);
        await handle.sync();
      }
    } finally {
      await handle.close();
    }
    const algorithm = digestAlgorithm(expect.digest);
    const actual =
      running && running.offset === expect.size && running.hasher.algorithm === algorithm
        ? running.hasher.digest()
        : (await hashFile(path, algorithm)).digest;
    if (actual !== expect.digest) throw new DigestMismatchError(expect.digest, actual);
    return this.staged(path, expect.digest, expect.size);
  }

  async abort(id: string): Promise<void> {
    this.hashers.delete(id);
    await rm(this.paths.upload(id), { force: true });
  }

  async *list(): AsyncIterable<{ id: string; modifiedAt: number }> {
    for (const name of await readdir(this.paths.uploadsDir)) {
      if (!isUploadId(name)) continue;
      const info = await stat(join(this.paths.uploadsDir, name)).catch(() => undefined);
      if (info) yield { id: name, modifiedAt: info.mtimeMs };
    }
  }
}
