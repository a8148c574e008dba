/**
 * @module The content-addressed blob store contract, shared by main and the edge: the only door
 * to blob bytes. Callers know digests, upload ids and opaque handles, never where or how bytes
 * are kept, so the same callers run on a local directory (src/store/fs-blob-store.ts) and on
 * object storage. The contract suite (test/contract/blob-store.ts) runs on every implementation.
 *
 * `LocalBlobStore` adds what only a store on a local file system can offer (an open file to send
 * with sendfile, a file readers follow while it is written); the edge requires it, main must not.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An opened blob: its size is known before any byte is sent, and deleting it cannot cut a read short. */
export interface OpenBlob {
  readonly digest: Digest;
  readonly size: number;
  /** Streams the blob or a range of it; the stream owns the file and closes it at its end. */
  stream(range?: ByteRange): Readable;
  /** Releases the file when no stream was taken. */
  close(): Promise<void>;
}

/**
 * Verified bytes under a temporary name, not yet visible: from `stage` or `uploads.complete`.
 * Opaque: where the bytes are is the store's business. Only the store that made it accepts it
 * (any other object, even with the same fields, is refused with a `TypeError`).
 */
export interface StagedBlob {
  readonly digest: Digest;
  readonly size: number;
}

export interface StageExpectation {
  /** The digest the bytes must hash to (its algorithm is used to hash). */
  digest?: Digest;
  /** The exact number of bytes expected. */
  size?: number;
}

/** A blob moved out of sight by `trash`, until `restore` or `purgeTrashed`. Opaque, as `StagedBlob`. */
export interface TrashedBlob {
  readonly digest: Digest;
}

/**
 * An upload session's state in the store, as JSON: the caller keeps it with its session record
 * (so any replica continues any session) and hands back the latest one it stored. Opaque to the
 * caller (a store on a file system needs none; object storage keeps its multipart upload there).
 */
export type UploadState = null | boolean | number | string | UploadState[] | { [key: string]: UploadState };

/** Upload ids are UUIDs; the store refuses anything else, so no id can name another object. */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isUploadId = (id: string): boolean => UPLOAD_ID_PATTERN.test(id);

export interface AppendOptions {
  /**
   * The exact number of bytes the source must give (an announced `Content-Range`): when it gives
   * more or fewer, `SizeMismatchError` and nothing of this chunk counts.
   */
  length?: number;
}

/**
 * Resumable uploads: the bytes of a session, appended in order, durable chunk by chunk.
 *
 * The caller owns the session's record: its id, the `size` durably received and the `state` the
 * last call returned. A chunk counts once `append` resolved and the caller stored the new size
 * and state; bytes of a chunk that failed, or whose result was never stored (a crash), are
 * ignored by the next `append` from the stored offset (it replaces them) and by `complete`.
 * Calls for one session come one at a time (the caller serializes them).
 */
export interface BlobUploads {
  /** Creates the session's storage. Throws when `id` is not a UUID or already exists. */
  begin(id: string): Promise<UploadState>;
  /**
   * Appends `source` at `offset` (the size the caller stored; bytes past it are dropped first).
   * Resolves once the bytes are durable, with the new size and state. On a failure (the source,
   * the disk, `SizeMismatchError` for `options.length`) the session keeps `offset` bytes.
   */
  append(
    id: string,
    state: UploadState,
    offset: number,
    source: AsyncIterable<Uint8Array>,
    options?: AppendOptions,
  ): Promise<{ size: number; state: UploadState }>;
  /**
   * Verifies the session's first `expect.size` bytes against `expect.digest` (hashed while they
   * streamed when the store could, else now) and returns them staged, for `BlobStore.commit`
   * (which makes them visible) or `discard`. Throws `DigestMismatchError` (the session is left
   * for `abort`); nothing is visible before `commit`.
   */
  complete(id: string, state: UploadState, expect: { digest: Digest; size: number }): Promise<StagedBlob>;
  /**
   * Removes the session's bytes; absent sessions are ignored. Without `state` (an orphan found by
   * `list`), whatever the store holds for `id` goes.
   */
  abort(id: string, state?: UploadState): Promise<void>;
  /** Sessions with bytes in the store, with when they last changed (ms since epoch), to purge orphans. */
  list(): AsyncIterable<{ id: string; modifiedAt: number }>;
}

export interface BlobStore {
  /** Size of a stored blob, or undefined when it is not stored. */
  stat(digest: Digest): Promise<{ size: number } | undefined>;
  /** Opens a stored blob. Throws `BlobNotFoundError` when it is not stored. */
  open(digest: Digest): Promise<OpenBlob>;
  /**
   * Writes `source` under a temporary name while hashing, durably. Throws `DigestMismatchError`
   * or `SizeMismatchError` when an expectation fails; then nothing is kept.
   */
  stage(source: AsyncIterable<Uint8Array>, expect?: StageExpectation): Promise<StagedBlob>;
  /** Makes staged content visible under its digest and drops the temporary name; idempotent. */
  commit(staged: StagedBlob): Promise<void>;
  /** Removes staged content that will not be committed. */
  discard(staged: StagedBlob): Promise<void>;
  /** Removes a stored blob; absent blobs are ignored. */
  delete(digest: Digest): Promise<void>;
  /**
   * Every stored digest, in no particular order. Anything in the blob area that is not a blob
   * where its name puts it is not yielded but described to `onStray` (never acted on).
   */
  list(onStray?: (where: string) => void): AsyncIterable<Digest>;
  /**
   * Moves a stored blob out of sight (garbage collection): `stat`, `open` and `list` no longer
   * find it, readers that opened it keep reading. Undefined when it is not stored.
   */
  trash(digest: Digest): Promise<TrashedBlob | undefined>;
  /** Puts a trashed blob back under its digest; idempotent, and harmless when it was stored again. */
  restore(trashed: TrashedBlob): Promise<void>;
  /** Removes a trashed blob for good; absent ones are ignored. */
  purgeTrashed(trashed: TrashedBlob): Promise<void>;
  /** Every trashed blob (left by an interrupted collection), for start-up repair. */
  listTrash(): AsyncIterable<TrashedBlob>;
  /**
   * Removes leftovers of interrupted writes (staged content never committed, growing blobs) and
   * the trash; returns how many. With `olderThan` (ms since epoch), only those last changed
   * before it: on a store several processes share, a younger one may be another's write in
   * progress. Upload sessions are not touched (their caller purges them).
   */
  removeTemporaryFiles(olderThan?: number): Promise<number>;
  readonly uploads: BlobUploads;
}

/** A stored blob's open file, for sending without a stream (sendfile) or reading whole. */
export interface StoredFile {
  readonly file: FileHandle;
  readonly size: number;
  /** When the file last changed (ms since epoch). */
  readonly modifiedAt: number;
}

/**
 * A blob being written under a temporary name that readers read while it grows (the edge's
 * serve-while-downloading). Writes and reads are positional; one write at a time.
 */
export interface GrowingBlob {
  /** Writes every byte of `chunks` at `position`. */
  write(chunks: Uint8Array[], position: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into `buffer`; resolves to the bytes read. */
  read(buffer: Uint8Array, length: number, position: number): Promise<number>;
  /**
   * Makes the bytes written visible under `digest`, which the caller verified while writing them
   * (the edge hashes the upstream body as it arrives): made durable first, then linked into place.
   */
  adopt(digest: Digest): Promise<void>;
  /** Closes the file and removes the temporary name (an adopted blob stays stored). Idempotent. */
  drop(): Promise<void>;
}

/** A store on a local file system: what the edge needs beyond `BlobStore`. */
export interface LocalBlobStore extends BlobStore {
  /** Opens a stored blob's file. Throws `BlobNotFoundError` when it is not stored. */
  openFile(digest: Digest): Promise<StoredFile>;
  /** Starts a growing blob under a fresh temporary name (left over names go at start-up). */
  createGrowing(): Promise<GrowingBlob>;
}

/** A store that can give another store of its kind a blob by a hard link (`outpost main backup --link`). */
export interface HardLinkSource {
  /**
   * Makes `digest` a blob of `target` by a hard link to the same file: no bytes copied, none
   * verified (the file is immutable and was verified when stored). Resolves false when that
   * cannot be done: `target` is another kind of store, or on another file system. Throws
   * `BlobNotFoundError` when this store does not hold `digest`.
   */
  hardLinkInto(digest: Digest, target: BlobStore): Promise<boolean>;
}

export function canHardLink(store: BlobStore): store is BlobStore & HardLinkSource {
  return typeof (store as Partial<HardLinkSource>).hardLinkInto === 'function';
}
