/**
 * @module Blob upload sessions (distribution-spec "Pushing blobs"): monolithic, chunked, resumable.
 *
 * A session's record is kept by the registry metadata owner and its bytes in the blob store
 * (`BlobStore.uploads`), so an upload survives a restart of main and any replica continues it.
 * The record's `size` counts only durable bytes, and keeps the store's state of the session: a
 * crash in the middle of a chunk leaves bytes past `size`, which the next chunk replaces and
 * completion ignores. The digest is verified by the store before anything becomes visible.
 */
import { randomUUID } from 'node:crypto';
import { OciError } from '../../src/oci/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { isUploadId, type BlobUploads, type ByteRange } from '../../src/store/blob-store.js';
import { DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';
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
  /** The bytes of the sessions (`BlobStore.uploads`). */
  store: BlobUploads;
  blobs: RepositoryBlobs;
  now: () => number;
  logger: Logger;
}

export function createUploads({ metadata, store, blobs, now, logger }: UploadsDeps): Uploads {
  const busy = new Set<string>();

  const unknown = (id: string) => new OciError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id.slice(0, 64) } });

  async function get(repo: RepoName, id: string): Promise<UploadSession> {
    const record = isUploadId(id) ? await metadata.getUpload(id) : undefined;
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
    let appended: Awaited<ReturnType<BlobUploads['append']>>;
    try {
      appended = await store.append(session.id, session.store ?? null, session.size, body, {
        ...(range && { length: range.end - range.start + 1 }),
      });
    } catch (err) {
      if (!(err instanceof SizeMismatchError)) throw err;
      throw new OciError('BLOB_UPLOAD_INVALID', {
        message: `Content-Range announced ${err.expected} bytes but ${err.actual} arrived`,
      });
    }
    const updated: UploadRecord = {
      repo: session.repo,
      size: appended.size,
      createdAt: session.createdAt,
      updatedAt: now(),
      store: appended.state,
    };
    await metadata.putUpload(session.id, updated);
    return { id: session.id, ...updated };
  }

  async function discard(id: string, state?: UploadRecord['store']): Promise<void> {
    await metadata.deleteUpload(id);
    await store.abort(id, state ?? null);
  }

  return {
    get,

    async start(repo) {
      const id = randomUUID();
      const at = now();
      const state = await store.begin(id);
      const record: UploadRecord = { repo, size: 0, createdAt: at, updatedAt: at, store: state };
      await metadata.putUpload(id, record);
      return { id, ...record };
    },

    append: (repo, id, body, range) => exclusive(id, async () => appendUnlocked(await get(repo, id), body, range)),

    complete: (repo, id, digest, body, range) =>
      exclusive(id, async () => {
        let session = await get(repo, id);
        if (body) session = await appendUnlocked(session, body, range);
        let staged;
        try {
          staged = await store.complete(id, session.store ?? null, { digest, size: session.size });
        } catch (err) {
          if (!(err instanceof DigestMismatchError)) throw err;
          await discard(id, session.store);
          throw new OciError('DIGEST_INVALID', { detail: { expected: digest, actual: err.actual } });
        }
        await blobs.commit(repo, staged);
        await discard(id, session.store);
        return { size: session.size };
      }),

    cancel: (repo, id) =>
      exclusive(id, async () => {
        await discard(id, (await get(repo, id)).store);
      }),

    async purgeAbandoned(maxAgeMs) {
      const cutoff = now() - maxAgeMs;
      let purged = 0;
      for (const id of await metadata.listIdleUploads(cutoff)) {
        if (!busy.has(id)) {
          await discard(id, (await metadata.getUpload(id))?.store);
          purged++;
        }
      }
      // Bytes whose record never got written (a crash between the two steps of start()).
      for await (const { id, modifiedAt } of store.list()) {
        if (modifiedAt < cutoff && !(await metadata.getUpload(id))) {
          await store.abort(id);
          purged++;
        }
      }
      if (purged > 0) logger.info('purged abandoned uploads', { purged });
      return purged;
    },
  };
}
