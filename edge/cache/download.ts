/**
 * @module One upstream download of one blob, shared by every client that asks for it meanwhile.
 *
 * The body is hashed, copied once into a window in memory, and written from there to a growing
 * blob of the store (`createGrowing`, a temporary file). The window keeps the most recent bytes
 * (RECENT_BYTES) and, within the download's share of memory (`holdBytes`), every byte a reader
 * still needs: readers are handed views of it at once, before the bytes reach the disk, and a
 * herd of readers shares the same memory instead of reading the file back each. Readers further
 * behind (a late joiner, a range, a slow client past the share) read the file behind the writer.
 * A slow client never slows the download or the others, and memory per download is bounded
 * whatever the blob size.
 *
 * Readers never see their last byte (of the blob or of their range) before the digest is
 * verified, and get it as soon as it is: the commit (fsync, link, index) runs after, and the
 * file stays open meanwhile for whoever joins. A failed download ends every reader with an error.
 *
 * A full or failing disk must not fail the clients (issue 9, item 15): when a write fails
 * (ENOSPC, EIO, ...), or the file cannot even be created, the download degrades to stream
 * through: the window then keeps every byte not on disk, trimmed behind the slowest reader, and
 * the upstream body is paused while it is full. The digest is still checked before anyone gets a
 * last byte, nothing is committed, the temporary file is removed, and nobody new can join.
 */
import { Readable } from 'node:stream';
import { createDigestHasher, digestAlgorithm, type Digest, type DigestHasher } from '../../src/oci/digest.js';
import type { ByteRange, GrowingBlob, LocalBlobStore } from '../../src/store/blob-store.js';
import { DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';
import { ByteWindow } from './byte-window.js';
import { SharedReads } from './shared-reads.js';

export type DownloadState = 'running' | 'verified' | 'failed';

const READ_CHUNK_BYTES = 256 * 1024;
// Bytes received but not yet on disk before the upstream body is paused: enough to ride out a
// disk that stalls for a moment (another blob's fsync) without stopping the transfer.
const MAX_PENDING_BYTES = 4 << 20;
// Bytes held in memory for the readers of a degraded download before the upstream body is paused.
const MAX_WINDOW_BYTES = 4 << 20;
// The most recent bytes of a healthy download kept in memory for the readers that keep up (and
// for those who join), whatever its share of memory.
export const RECENT_BYTES = 4 << 20;
// File blocks (of READ_CHUNK_BYTES) kept for readers behind the window: 8 MiB per download.
const SHARED_BLOCKS = 32;

/** Errors of creating the temporary file that mean "the disk cannot take it": stream through instead. */
const STORE_WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG', 'EMFILE', 'ENFILE']);

export const isStoreWriteError = (err: unknown): boolean =>
  STORE_WRITE_ERRORS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');

/** Where a reader is; the window of a degraded download is trimmed behind the lowest. */
interface Cursor {
  position: number;
  /** Where its blob or range ends (exclusive). */
  end: number;
  /**
   * The last byte, copied out of a degraded download's window while it waits for the
   * verification: a reader parked on it must not hold the window (and so the download) still.
   */
  tail?: Buffer;
}

export class Download {
  state: DownloadState = 'running';
  error: Error | undefined;
  /** Bytes written to the temporary file so far. */
  written = 0;
  /** The disk failure that made this download stream through without keeping; undefined while healthy. */
  degraded: Error | undefined;
  /** Whether the verified blob was committed (kept); false when it streamed through. */
  kept = false;
  /** Set once every byte is on disk and verified: only then may `adopt` run. */
  private adoptable = false;
  /** Verified and being committed (fsync, link, index): its file stays open whoever reads it. */
  committing = false;
  /** A failed download whose last disk write is still running: its file is not closed under it. */
  private draining = false;
  private readonly cursors = new Set<Cursor>();
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;
  /** Wakes the copy loop when readers moved on (a degraded download's window may shrink). */
  private readonly drainWaiters = new Set<() => void>();
  /**
   * The bytes received most recently (healthy: at least RECENT_BYTES of them and every one not
   * yet on disk, plus those readers still need within `holdBytes`), or a degraded download's
   * bytes from its slowest reader on.
   */
  private readonly window = new ByteWindow();
  /** The file's reads, shared by readers at the same place (readers behind the window). */
  private readonly shared: SharedReads | undefined;
  private readonly settled: Promise<void>;
  private resolveSettled!: () => void;
  private readonly verified: Promise<boolean>;
  private resolveVerified!: (verified: boolean) => void;
  private constructor(
    readonly digest: Digest,
    readonly size: number,
    private readonly file: GrowingBlob | undefined,
    private readonly holdBytes: () => number,
  ) {
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
    this.shared = file && new SharedReads(file, size, READ_CHUNK_BYTES, SHARED_BLOCKS);
    this.verified = new Promise((resolve) => (this.resolveVerified = resolve));
  }

  /**
   * Starts the growing blob in `store`; when the disk cannot take it (`isStoreWriteError`), the
   * download streams through from the start instead. `holdBytes` is this download's share of
   * memory for bytes on disk that readers still need (asked again as downloads come and go);
   * RECENT_BYTES are held whatever it says.
   */
  static async create(
    digest: Digest,
    size: number,
    store: LocalBlobStore,
    holdBytes: () => number = () => RECENT_BYTES,
  ): Promise<Download> {
    let file: GrowingBlob;
    try {
      file = await store.createGrowing();
    } catch (err) {
      if (!isStoreWriteError(err)) throw err;
      const download = new Download(digest, size, undefined, holdBytes);
      download.degraded = err as Error;
      return download;
    }
    return new Download(digest, size, file, holdBytes);
  }

  /**
   * Makes the verified bytes a stored blob (for `run`'s commit): durable, then under their
   * digest. Readers keep following the file until they are done.
   */
  async adopt(): Promise<void> {
    if (!this.file || !this.adoptable) throw new Error('only a verified download on disk can be adopted');
    await this.file.adopt(this.digest);
  }

  /**
   * Whether a new client may join: its file still open (running, or verified and not yet
   * released: a blob being committed is not in the index yet) and holding every byte from 0.
   */
  get joinable(): boolean {
    return this.state !== 'failed' && !this.closed && this.degraded === undefined;
  }

  /** Bytes received so far, available to readers (in the window, or on disk behind it). */
  private get received(): number {
    return this.window.end;
  }

  /**
   * Copies `body` into the file, then verifies size and digest. `commit` runs after a
   * successful verification (it may `adopt` the file into the store; it returns false when it
   * chose not to keep the blob); only then do readers receive the final byte. A commit that
   * throws costs the copy, not the readers (`degraded`). Never throws: the outcome is in `state`,
   * `error`, `kept` and `degraded`.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a commit that returns nothing kept the blob
  async run(body: AsyncIterable<Uint8Array>, commit: (download: Download) => Promise<boolean | void>): Promise<void> {
    const hasher = createDigestHasher(digestAlgorithm(this.digest));
    const writes = { done: async () => {} };
    try {
      const received = await this.copy(body, hasher, writes);
      if (received !== this.size) throw new SizeMismatchError(this.size, received);
      const actual = hasher.digest();
      if (actual !== this.digest) throw new DigestMismatchError(this.digest, actual);
      // The bytes are verified: the readers get their last byte now (from memory, where every
      // byte not yet on disk is held), and the rest of the writes and the commit (fsync, link,
      // index) run behind them. From here a disk failure costs the copy, never the clients.
      this.state = 'verified';
      this.committing = true;
      this.wake();
      this.resolveVerified(true);
      try {
        await writes.done();
        this.adoptable = this.degraded === undefined;
        if (this.degraded === undefined) this.kept = (await commit(this)) !== false;
      } catch (err) {
        this.degraded = err instanceof Error ? err : new Error(String(err));
      } finally {
        this.committing = false;
      }
    } catch (err) {
      this.state = 'failed';
      this.error = err instanceof Error ? err : new Error(String(err));
      // The readers learn of the failure now, and may go; the file is dropped below, once no
      // write is running on it (a reader leaving meanwhile must not close it: `release`).
      this.draining = true;
      this.wake();
      this.resolveVerified(false);
      await writes.done();
      this.draining = false;
    }
    this.resolveSettled();
    await this.release();
  }

  /**
   * Hashes `body` and writes it to the file. Each chunk goes to the window first and readers
   * are woken at once: those who keep up are handed it from memory, before it reaches the disk
   * and without reading it back (the disk write is off their path). One write is in flight at
   * a time, of every byte of the window not yet on disk (views of its slabs). So a slow
   * upstream gets each chunk on disk at once (a range waiting on it is served), and a fast one
   * gets large writes instead of a write per socket chunk (which held a cold 64 MiB transfer to
   * ~60 MB/s). Reading pauses while more than the download's share of memory (at least
   * MAX_PENDING_BYTES) waits for the disk. It returns once the body is read: `writes.done`
   * then resolves when the last write has ended (the caller waits for it before the commit).
   */
  private async copy(
    body: AsyncIterable<Uint8Array>,
    hasher: DigestHasher,
    writes: { done: () => Promise<void> },
  ): Promise<number> {
    let received = 0;
    let writing: Promise<void> | undefined;
    const writeLoop = async () => {
      // The window never drops a byte of a healthy download before it is on disk.
      while (this.written < this.window.end && this.degraded === undefined) {
        const at = this.written;
        const until = this.window.end;
        try {
          await this.file!.write(this.window.views(at, until), at);
        } catch (err) {
          // What this write may have put on disk is not trusted; the window still holds it.
          this.degraded = err instanceof Error ? err : new Error(String(err));
          break;
        }
        this.written = until;
        this.trim();
      }
      // In the same synchronous step as the last check: a chunk arriving next starts a new loop.
      writing = undefined;
    };
    try {
      for await (const chunk of body) {
        received += chunk.byteLength;
        if (received > this.size) throw new SizeMismatchError(this.size, received);
        hasher.update(chunk);
        this.window.append(chunk);
        this.wakeSoon();
        if (this.degraded !== undefined) {
          await this.whenWindowHasRoom();
          continue;
        }
        if (writing === undefined) writing = writeLoop();
        else if (this.window.end - this.written >= Math.max(MAX_PENDING_BYTES, this.holdBytes())) await writing;
      }
    } finally {
      writes.done = async () => {
        while (writing !== undefined) await writing;
      };
    }
    return received;
  }

  /**
   * Waits while the window is full. Readers free room as they move on; with no reader left
   * there is nobody to stream to and nothing can be kept, so the download gives up.
   */
  private async whenWindowHasRoom(): Promise<void> {
    while (this.window.bytes > MAX_WINDOW_BYTES) {
      if (this.cursors.size === 0) throw this.degraded!;
      await new Promise<void>((resolve) => this.drainWaiters.add(resolve));
    }
  }

  /**
   * Drops what the window need not hold. Healthy: bytes on disk that are neither among the
   * RECENT_BYTES last nor needed by a reader, and beyond `holdBytes` even those (readers
   * further behind read the file). Degraded: bytes every reader has passed, and the copy loop is
   * woken (it waits for room).
   */
  private trim(): void {
    if (this.degraded === undefined) {
      const { end } = this.window;
      let keepFrom = end - RECENT_BYTES;
      for (const cursor of this.cursors) {
        if (cursor.position < cursor.end && cursor.position < keepFrom) keepFrom = cursor.position;
      }
      keepFrom = Math.max(keepFrom, end - Math.max(RECENT_BYTES, this.holdBytes()));
      this.window.dropBefore(Math.min(this.written, keepFrom));
      return;
    }
    let lowest = this.window.end;
    for (const cursor of this.cursors) {
      if (cursor.tail === undefined && cursor.end > this.window.start) lowest = Math.min(lowest, cursor.position);
    }
    // With no reader left, nothing is dropped: a client in the middle of attaching still needs it.
    if (this.cursors.size > 0) this.window.dropBefore(lowest);
    const waiting = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const resolve of waiting) resolve();
  }

  /** Resolves when the download is verified or failed, and a verified one committed (or not kept). */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  /** Resolves with whether the bytes were verified, as soon as that is known (before the commit). */
  whenVerified(): Promise<boolean> {
    return this.verified;
  }

  /** A stream of the blob (or a range) that follows the download as it progresses. */
  createReader(range?: ByteRange): Readable {
    return this.attach().stream(range);
  }

  /**
   * A reader of this download, counted from now on (before its range is known, so the file
   * stays open meanwhile): `stream` once for its body, or `detach` when none is sent (HEAD, 416).
   */
  attach(): { stream(range?: ByteRange): Readable; detach(): void } {
    const cursor: Cursor = { position: 0, end: this.size };
    this.cursors.add(cursor);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.cursors.delete(cursor);
      this.trim();
      void this.release();
    };
    let taken = false;
    return {
      stream: (range) => {
        if (taken) throw new Error('a download reader streams once');
        taken = true;
        cursor.position = range?.start ?? 0;
        cursor.end = range ? range.end + 1 : this.size;
        return this.readerOf(cursor, release);
      },
      detach: () => {
        if (taken) return;
        taken = true;
        release();
      },
    };
  }

  private readerOf(cursor: Cursor, release: () => void): Readable {
    const { end } = cursor;
    const download = this;
    return new Readable({
      highWaterMark: READ_CHUNK_BYTES,
      read() {
        const pump = () => {
          if (this.destroyed) return;
          if (cursor.tail !== undefined && download.state === 'verified') {
            const tail = cursor.tail;
            cursor.tail = undefined;
            this.push(tail);
            return;
          }
          if (cursor.position >= end && cursor.tail === undefined && download.state === 'verified') {
            this.push(null);
            return;
          }
          // Hold the last byte of the blob, or of the range, back until the digest is verified:
          // a range that ended before verification could be complete-looking wrong bytes.
          const available = download.state === 'verified' ? end : Math.min(download.received, end - 1);
          if (cursor.position < available) {
            const position = cursor.position;
            if (download.window.holds(position)) {
              // Held in memory (or a degraded download's bytes): a view, at once, up to a slab.
              const bytes = download.window.read(position, available - position);
              cursor.position += bytes.byteLength;
              download.trim();
              this.push(bytes);
              return;
            }
            if (!download.file || position >= download.written) {
              this.destroy(new Error('the bytes of this range are no longer held (the download streams through)'));
              return;
            }
            download.shared!.read(position, Math.min(available, download.written), download.written).then(
              (bytes) => {
                cursor.position += bytes.byteLength;
                download.trim();
                this.push(bytes);
              },
              (err: Error) => this.destroy(err),
            );
            return;
          }
          if (download.state === 'failed') {
            this.destroy(download.error);
            return;
          }
          const { position } = cursor;
          const lastByteInWindow = position === end - 1 && download.window.holds(position);
          if (download.degraded !== undefined && cursor.tail === undefined && lastByteInWindow) {
            // Only the last byte is left: take it out of the window, which can then move on.
            cursor.tail = Buffer.from(download.window.read(cursor.position, 1));
            cursor.position = end;
            download.trim();
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

  /**
   * Wakes the readers once the chunks that arrived together are all in: a reader that keeps up
   * then sends them in one socket write rather than one per socket chunk of the upstream.
   */
  private wakeSoon(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiting) waiter();
  }

  /** Closes the file once the download has settled and no reader is left. */
  private async release(): Promise<void> {
    if (this.state === 'running' || this.committing || this.draining || this.cursors.size > 0 || this.closed) return;
    this.closed = true;
    this.window.clear();
    this.shared?.clear();
    // Adopted downloads stay stored under their digest; anything else is removed. A failing
    // disk may refuse that too: start-up removes leftovers (reconcile).
    await this.file?.drop().catch(() => {});
  }
}
