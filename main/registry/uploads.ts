/**
 * @module Blob upload sessions (distribution-spec "Pushing blobs"): monolithic, chunked, resumable.
 *
 * A session's state is a metadata record and its bytes a file under `uploads/`, so an upload
 * survives a restart of main. The record's `size` counts only fsynced bytes; a crash in the
 * middle of a chunk leaves a torn tail in the file, which the next chunk truncates away.
 * The sha256 state is kept in memory while chunks arrive in order; after a restart (or for
 * sha512) the file is hashed again at completion.
 */
import { randomUUID } from 'node:crypto';
import { open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciError } from '../../src/oci/errors.js';
import { createDigestHasher, digestAlgorithm, type Digest, type DigestHasher } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { BlobPaths } from '../../src/store/blob-paths.js';
import { UUID_PATTERN } from '../../src/store/blob-paths.js';
import { PRIVATE_FILE_MODE } from '../../src/store/private-files.js';
import type { ByteRange } from '../../src/store/blob-store.js';
import { hashFile, writeChunks } from '../../src/store/file-io.js';
import { formatUploadRange } from '../../src/http/range.js';
import type { Logger } from '../../src/log/logger.js';
import type { RegistryMetadata, UploadRecord } from '../metadata/registry.js';
import type { RepositoryBlobs } from './repository-blobs.js';

export interface UploadSession extends UploadRecord {
  id: string;
}

export interface Uploads {
  start(repo: RepoName): Promise<UploadSession>;
  /** The session, or `BLOB_UPLOAD_UNKNOWN` when it does not exist in `repo`. */
  get(repo: RepoName, id: string): Promise<UploadSession>;
  /**
   * Appends a chunk. With `range`, its start must equal the bytes received so far, else
   * `RANGE_INVALID` (416) carrying the `Range` received. Returns the new session.
   */
  append(repo: RepoName, id: string, body: AsyncIterable<Uint8Array>, range?: ByteRange): Promise<UploadSession>;
  /**
   * Appends an optional last chunk (checked against `range` as in `append`, so a misplaced last
   * chunk is a 416 that keeps the session), verifies `digest` and commits the blob. Nothing is
   * kept on a digest mismatch.
   */
  complete(
    repo: RepoName,
    id: string,
    digest: Digest,
    body?: AsyncIterable<Uint8Array>,
    range?: ByteRange,
  ): Promise<{ size: number }>;
  cancel(repo: RepoName, id: string): Promise<void>;
  /** Removes sessions idle for longer than `maxAgeMs` and stray files; returns how many. */
  purgeAbandoned(maxAgeMs: number): Promise<number>;
}

export interface UploadsDeps {
  metadata: RegistryMetadata;
  paths: BlobPaths;
  blobs: RepositoryBlobs;
  now: () => number;
  logger: Logger;
}

export function createUploads({ metadata, paths, blobs, now, logger }: UploadsDeps): Uploads {
  const hashers = new Map<string, { hasher: DigestHasher; offset: number }>();
  const busy = new Set<string>();

  const unknown = (id: string) => new OciError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id.slice(0, 64) } });

  async function get(repo: RepoName, id: string): Promise<UploadSession> {
    const record = UUID_PATTERN.test(id) ? await metadata.getUpload(id) : undefined;
    if (!record || record.repo !== repo) throw unknown(id);
    return { id, ...record };
  }

  /** One request at a time per session: a second concurrent chunk would interleave bytes. */
  async function exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (busy.has(id))
      throw new OciError('BLOB_UPLOAD_INVALID', {
        message: 'another request is writing to this upload',
        detail: { uuid: id },
      });
    busy.add(id);
    try {
      return await fn();
    } finally {
      busy.delete(id);
    }
  }

  async function appendUnlocked(
    session: UploadSession,
    body: AsyncIterable<Uint8Array>,
    range?: ByteRange,
  ): Promise<UploadSession> {
    if (range && range.start !== session.size) {
      throw new OciError('RANGE_INVALID', {
        message: `chunk starts at ${range.start} but ${session.size} bytes were received`,
        headers: { Range: formatUploadRange(session.size), 'Docker-Upload-UUID': session.id },
      });
    }
    const state = hashers.get(session.id);
    const hasher = state && state.offset === session.size ? state.hasher : undefined;
    const handle = await open(paths.upload(session.id), 'r+');
    let written: number;
    try {
      await handle.truncate(session.size);
      written = await writeChunks(handle, body, session.size, hasher);
      if (range && written !== range.end - range.start + 1) {
        await handle.truncate(session.size);
        throw new OciError('BLOB_UPLOAD_INVALID', {
          message: `Content-Range announced ${range.end - range.start + 1} bytes but ${written} arrived`,
        });
      }
      await handle.sync();
    } catch (err) {
      // A partly hashed chunk poisons the in-memory state; completion will re-hash the file.
      hashers.delete(session.id);
      // Drop the torn tail now (a full disk, a client gone mid-chunk): the space comes back at
      // once and the file holds exactly the bytes the session counts.
      await handle.truncate(session.size).catch(() => {});
      throw err;
    } finally {
      await handle.close();
    }
    const updated: UploadRecord = {
      repo: session.repo,
      size: session.size + written,
      createdAt: session.createdAt,
      updatedAt: now(),
    };
    await metadata.putUpload(session.id, updated);
    if (hasher) hashers.set(session.id, { hasher, offset: updated.size });
    return { id: session.id, ...updated };
  }

  async function discard(id: string): Promise<void> {
    hashers.delete(id);
    await metadata.deleteUpload(id);
    await rm(paths.upload(id), { force: true });
  }

  return {
    get,

    async start(repo) {
      const id = randomUUID();
      const at = now();
      const record: UploadRecord = { repo, size: 0, createdAt: at, updatedAt: at };
      await writeFile(paths.upload(id), new Uint8Array(0), { flag: 'wx', mode: PRIVATE_FILE_MODE });
      await metadata.putUpload(id, record);
      hashers.set(id, { hasher: createDigestHasher('sha256'), offset: 0 });
      return { id, ...record };
    },

    append: (repo, id, body, range) => exclusive(id, async () => appendUnlocked(await get(repo, id), body, range)),

    complete: (repo, id, digest, body, range) =>
      exclusive(id, async () => {
        let session = await get(repo, id);
        if (body) session = await appendUnlocked(session, body, range);
        const state = hashers.get(id);
        const actual =
          state && state.offset === session.size && digestAlgorithm(digest) === state.hasher.algorithm
            ? state.hasher.digest()
            : (await hashFile(paths.upload(id), digestAlgorithm(digest))).digest;
        hashers.delete(id);
        if (actual !== digest) {
          await discard(id);
          throw new OciError('DIGEST_INVALID', { detail: { expected: digest, actual } });
        }
        await blobs.commit(repo, { path: paths.upload(id), digest, size: session.size });
        await discard(id);
        return { size: session.size };
      }),

    cancel: (repo, id) =>
      exclusive(id, async () => {
        await get(repo, id);
        await discard(id);
      }),

    async purgeAbandoned(maxAgeMs) {
      const cutoff = now() - maxAgeMs;
      let purged = 0;
      for (const id of await metadata.listIdleUploads(cutoff)) {
        if (!busy.has(id)) {
          await discard(id);
          purged++;
        }
      }
      // Files whose record never got written (a crash between the two steps of start()).
      for (const name of await readdir(paths.uploadsDir)) {
        const file = join(paths.uploadsDir, name);
        const info = await stat(file).catch(() => undefined);
        if (info && info.mtimeMs < cutoff && !(await metadata.getUpload(name))) {
          await rm(file, { force: true, recursive: true });
          purged++;
        }
      }
      if (purged > 0) logger.info('purged abandoned uploads', { purged });
      return purged;
    },
  };
}
