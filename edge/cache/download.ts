/**
 * @module One upstream download of one blob, shared by every client that asks for it meanwhile.
 *
 * The body is written to a temporary file while it is hashed; clients do not get a copy of the
 * stream, they read the file behind the writer (positional reads on the download's own file
 * descriptor). So a client that joins late, or asks for a range, reads what has arrived and
 * waits for the rest, a slow client never slows the download or the others, and memory per
 * client is one read buffer whatever the blob size.
 *
 * Readers never see their last byte (of the blob or of their range) before the digest is
 * verified: a failed download ends every reader with an error, so no client can mistake a short
 * or wrong body for a complete one.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createDigestHasher, digestAlgorithm, type Digest, type DigestHasher } from '../../src/oci/digest.js';
import type { ByteRange } from '../../src/store/blob-store.js';
import { DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';
import { writeAll } from '../../src/store/file-io.js';
import { PRIVATE_FILE_MODE } from '../../src/store/private-files.js';

export type DownloadState = 'running' | 'verified' | 'failed';

const READ_CHUNK_BYTES = 256 * 1024;
// Bytes received but not yet on disk before the upstream body is paused.
const MAX_PENDING_BYTES = 1 << 20;

export class Download {
  state: DownloadState = 'running';
  error: Error | undefined;
  /** Bytes written to the temporary file so far. */
  written = 0;
  private readers = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly settled: Promise<void>;
  private resolveSettled!: () => void;

  private constructor(
    readonly digest: Digest,
    readonly size: number,
    readonly tempPath: string,
    private readonly file: FileHandle,
  ) {
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  static async create(digest: Digest, size: number, tempPath: string): Promise<Download> {
    return new Download(digest, size, tempPath, await open(tempPath, 'wx+', PRIVATE_FILE_MODE));
  }

  /**
   * Copies `body` into the file, then verifies size and digest and fsyncs. `commit` runs after
   * a successful verification (it may rename the file into the store); only then do readers
   * receive the final byte. Never throws: the outcome is in `state` and `error`.
   */
  async run(body: AsyncIterable<Uint8Array>, commit: (download: Download) => Promise<void>): Promise<void> {
    const hasher = createDigestHasher(digestAlgorithm(this.digest));
    try {
      const received = await this.copy(body, hasher);
      if (received !== this.size) throw new SizeMismatchError(this.size, received);
      const actual = hasher.digest();
      if (actual !== this.digest) throw new DigestMismatchError(this.digest, actual);
      await this.file.sync();
      await commit(this);
      this.state = 'verified';
    } catch (err) {
      this.state = 'failed';
      this.error = err instanceof Error ? err : new Error(String(err));
    }
    this.wake();
    this.resolveSettled();
    await this.release();
  }

  /**
   * Hashes `body` and writes it to the file, readers woken after each write. One write is in
   * flight at a time; chunks that arrive meanwhile go out together in the next one. So a slow
   * upstream gets each chunk on disk at once (a range waiting on it is served), and a fast one
   * gets large writes instead of a write per socket chunk (which held a cold 64 MiB transfer to
   * ~60 MB/s). Reading pauses while more than MAX_PENDING_BYTES wait for the disk.
   */
  private async copy(body: AsyncIterable<Uint8Array>, hasher: DigestHasher): Promise<number> {
    let received = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let position = 0;
    let writing: Promise<void> | undefined;
    let writeError: unknown;
    const writeLoop = async () => {
      try {
        while (pendingBytes > 0) {
          const chunks = pending;
          const at = position;
          const bytes = pendingBytes;
          position += bytes;
          pending = [];
          pendingBytes = 0;
          await writeAll(this.file, chunks, at);
          this.written = at + bytes;
          this.wake();
        }
      } catch (err) {
        writeError = err;
      }
      // In the same synchronous step as the last check: a chunk arriving next starts a new loop.
      writing = undefined;
    };
    try {
      for await (const chunk of body) {
        if (writeError !== undefined) throw writeError;
        received += chunk.byteLength;
        if (received > this.size) throw new SizeMismatchError(this.size, received);
        hasher.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (writing === undefined) writing = writeLoop();
        else if (pendingBytes >= MAX_PENDING_BYTES) await writing;
      }
    } finally {
      // Never leave a write running behind the caller's back, even when the body failed.
      while (writing !== undefined) await writing;
    }
    if (writeError !== undefined) throw writeError;
    return received;
  }

  /** Resolves when the download is verified or failed. */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  /** A stream of the blob (or a range) that follows the download as it progresses. */
  createReader(range?: ByteRange): Readable {
    this.readers++;
    let position = range?.start ?? 0;
    const end = range ? range.end + 1 : this.size;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.readers--;
      void this.release();
    };
    const download = this;
    return new Readable({
      highWaterMark: READ_CHUNK_BYTES,
      read() {
        const pump = () => {
          if (this.destroyed) return;
          if (position >= end && download.state === 'verified') {
            this.push(null);
            return;
          }
          // Hold the last byte of the blob, or of the range, back until the digest is verified:
          // a range that ended before verification could be complete-looking wrong bytes.
          const available = download.state === 'verified' ? end : Math.min(download.written, end - 1);
          if (position < available) {
            const length = Math.min(READ_CHUNK_BYTES, available - position);
            const buffer = Buffer.allocUnsafe(length);
            download.file.read(buffer, 0, length, position).then(
              ({ bytesRead }) => {
                position += bytesRead;
                this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
              },
              (err: Error) => this.destroy(err),
            );
            return;
          }
          if (download.state === 'failed') {
            this.destroy(download.error);
            return;
          }
          download.waiters.add(pump);
        };
        pump();
      },
      destroy(err, callback) {
        release();
        callback(err);
      },
    }).on('end', release);
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiting) waiter();
  }

  /** Closes the file once the download has settled and no reader is left. */
  private async release(): Promise<void> {
    if (this.state === 'running' || this.readers > 0 || this.closed) return;
    this.closed = true;
    await this.file.close().catch(() => {});
    // Committed downloads were moved into the store; anything else is removed.
    await rm(this.tempPath, { force: true });
  }
}
