/**
 * @module The content-addressed blob store contract, shared by main and the edge.
 */
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

/** Bytes written and fsynced under a temporary name, with the digest they hash to. */
export interface StagedBlob {
  readonly path: string;
  readonly digest: Digest;
  readonly size: number;
}

export interface StageExpectation {
  /** The digest the bytes must hash to (its algorithm is used to hash). */
  digest?: Digest;
  /** The exact number of bytes expected. */
  size?: number;
}

export interface BlobStore {
  /** Size of a stored blob, or undefined when it is not stored. */
  stat(digest: Digest): Promise<{ size: number } | undefined>;
  /** Opens a stored blob. Throws `BlobNotFoundError` when it is not stored. */
  open(digest: Digest): Promise<OpenBlob>;
  /**
   * Writes `source` to a temporary file while hashing and fsyncs it. Throws
   * `DigestMismatchError` or `SizeMismatchError` when an expectation fails; then nothing is kept.
   */
  stage(source: AsyncIterable<Uint8Array>, expect?: StageExpectation): Promise<StagedBlob>;
  /** Makes staged (or otherwise verified) content visible under its digest; idempotent. */
  commit(staged: StagedBlob): Promise<void>;
  /** Removes a staged file that will not be committed. */
  discard(staged: StagedBlob): Promise<void>;
  /** Removes a stored blob; absent blobs are ignored. */
  delete(digest: Digest): Promise<void>;
  /** Every stored digest, in no particular order. */
  list(): AsyncIterable<Digest>;
  /** Removes leftovers of interrupted writes (temporary files); returns how many. */
  removeTemporaryFiles(): Promise<number>;
}
