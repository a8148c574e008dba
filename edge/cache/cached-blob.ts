/**
 * @module What the blob cache hands the blob route and the hot path: one tagged union, whatever
 * holds the bytes (memory, the blob's file on disk, or a download in flight). It knows nothing of
 * the index, eviction or upstream; routes/send-cached-blob.ts is the one function that sends it.
 *
 * A blob is counted as read from the moment it is opened (not from when its body starts), and
 * until `close`: eviction leaves a file that is read alone, and a download keeps its file open.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ByteRange } from '../../src/store/blob-store.js';

export type CacheResult = 'hit' | 'miss' | 'coalesced';

/** A small hot blob held in memory: sent with one write. Nothing to release. */
export interface MemoryBlob {
  kind: 'memory';
  result: 'hit';
  size: number;
  bytes: Buffer;
  close(): Promise<void>;
}

/**
 * A hit on disk: the blob's open file. Whoever sends it calls `close` once the body is sent or
 * failed (or when nothing is sent: HEAD, 416); that closes the file and ends the read.
 */
export interface FileBlob {
  kind: 'file';
  result: 'hit';
  size: number;
  file: FileHandle;
  close(): Promise<void>;
}

/**
 * A miss, or a client joining a download in flight: the body follows the download (its last
 * byte only once the digest is verified). `stream` at most once; `close` when none is taken.
 * A download verified and being committed (fsync, index) is a hit read from its file.
 */
export interface DownloadBlob {
  kind: 'download';
  result: CacheResult;
  size: number;
  stream(range?: ByteRange): Readable;
  close(): Promise<void>;
}

export type CachedBlob = MemoryBlob | FileBlob | DownloadBlob;

/** A hit held in memory. */
export function memoryBlob(bytes: Buffer): MemoryBlob {
  return { kind: 'memory', result: 'hit', size: bytes.byteLength, bytes, close: async () => {} };
}

/**
 * A hit read from its open `file` of `size` bytes. `release` runs once, on `close`: the cache
 * counts the blob as read until then.
 */
export function fileBlob(file: FileHandle, size: number, release: () => void): FileBlob {
  let closed = false;
  return {
    kind: 'file',
    result: 'hit',
    size,
    file,
    async close() {
      if (closed) return;
      closed = true;
      release();
      await file.close().catch(() => {});
    },
  };
}
