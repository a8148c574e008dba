/**
 * @module What the blob cache hands the blob route for a hit: one shape, whether the blob is
 * held in memory or read from its file on disk (a miss is the same shape, built from its
 * download in blob-cache.ts). Owns how each kind is streamed and released; knows nothing of
 * the index, eviction or upstream.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ByteRange } from '../../src/store/blob-store.js';

export type CacheResult = 'hit' | 'miss' | 'coalesced';

// Disk reads of a hit streamed with `stream()`: as the store's own reads.
const DISK_READ_BYTES = 256 * 1024;

export interface CachedBlob {
  result: CacheResult;
  size: number;
  /** The blob or a range of it; call at most once. */
  stream(range?: ByteRange): Readable;
  /** Releases the blob when no stream is taken (HEAD, errors). */
  close(): Promise<void>;
  /** The whole blob, when it is held in memory (small hot blobs): sent without a stream. */
  bytes?: Buffer;
  /**
   * The blob's open file, for hits from disk: the route may send it without a stream
   * (`sendFile`) instead of calling `stream`, and must then call `close` when the body is sent.
   */
  file?: FileHandle;
}

/** A hit held in memory. */
export function bufferBlob(bytes: Buffer): CachedBlob {
  return {
    result: 'hit',
    size: bytes.byteLength,
    bytes,
    stream: (range) =>
      Readable.from(range ? [bytes.subarray(range.start, range.end + 1)] : [bytes], { objectMode: false }),
    close: async () => {},
  };
}

/**
 * A hit read from its open `file` of `size` bytes. `release` runs once the blob is no longer
 * read (its stream closed, or `close` called): the cache's eviction leaves the file alone until then.
 */
export function fileBlob(file: FileHandle, size: number, release: () => void): CachedBlob {
  let taken = false;
  return {
    result: 'hit',
    size,
    file,
    stream: (range) => {
      taken = true;
      const stream =
        size === 0
          ? Readable.from([])
          : file.createReadStream({
              start: range?.start ?? 0,
              end: range?.end ?? size - 1,
              highWaterMark: DISK_READ_BYTES,
              autoClose: true,
            });
      if (size === 0) void file.close();
      return stream.once('close', release);
    },
    close: async () => {
      release();
      if (!taken) await file.close().catch(() => {});
    },
  };
}
