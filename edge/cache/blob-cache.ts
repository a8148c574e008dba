/**
 * @module The pull-through blob cache: the same read side as a blob store, hiding hit, miss,
 * coalescing and write-back (as distribution's proxyBlobStore does). The blob route is the
 * same code for all of them.
 *
 * - hit: small blobs from memory, others from disk;
 * - miss: one upstream fetch per digest, however many clients ask (`starting` holds the fetch
 *   before its headers arrive, `downloads` the transfer after); warm (`prefetch`) joins or
 *   starts the same downloads, fetching from main with a registry token;
 * - write-back: the download is verified, linked into the store, then indexed;
 * - budget: room is reserved before a download starts, in the same synchronous step as the
 *   check (so two misses at once never count the same free bytes nor both evict for them); a blob
 *   that cannot fit is streamed through without being kept;
 * - readers: a blob is counted as read from `open` until its `close`, whichever kind it is, and
 *   eviction leaves it alone meanwhile;
 * - a failing store (disk full, I/O error, an LMDB commit that fails) degrades a miss to stream
 *   through as well: the clients get their verified bytes, nothing is kept, and `storeHealth`
 *   reports the store degraded until a later download is kept again.
 */
import { LRUCache } from 'lru-cache';
import type { Digest } from '../../src/oci/digest.js';
import type { LocalBlobStore } from '../../src/store/blob-store.js';
import { BlobNotFoundError, errorCodeOf } from '../../src/store/errors.js';
import type { Logger } from '../../src/log/logger.js';
import type { EdgeMetrics } from '../metrics.js';
import { CacheIndexWriteError, type CacheIndex } from './cache-index.js';
import { Download } from './download.js';
import type { Budget } from './eviction.js';
import { CacheSpace, type Reservation } from './cache-space.js';
import type { Upstream, UpstreamBlob } from './upstream.js';
import { fileBlob, memoryBlob, type CachedBlob, type CacheResult, type MemoryBlob } from './cached-blob.js';

/** A blob was downloaded and verified but not kept: it does not fit the cache budget, or the store failed. */
export class BlobNotKeptError extends Error {
  readonly code = 'OUTPOST_BLOB_NOT_KEPT';
  constructor(
    readonly digest: Digest,
    readonly size: number,
    why = 'does not fit the cache budget',
  ) {
    super(`blob ${digest} (${size} bytes) ${why} and was not kept`);
    this.name = 'BlobNotKeptError';
  }
}

/** Why the store is degraded: the last write failed, and nothing was kept since. */
export interface StoreDegradation {
  /** The error code (ENOSPC, EIO, ...) or the error's name. */
  code: string;
  reason: string;
  /** When it was first seen (ms since epoch). */
  since: number;
}

export interface BlobCacheOptions {
  index: CacheIndex;
  /** A store on a local disk: hits are sent from their open file, misses followed while they grow. */
  store: LocalBlobStore;
  upstream: Upstream;
  /**
   * Main itself, for `prefetch`: a registry token is good only at main, while `upstream` may be
   * another edge. Default: `upstream`.
   */
  origin?: Upstream;
  budget: Budget;
  ttlMs: number;
  memoryCacheBytes: number;
  memoryCacheMaxBlobBytes: number;
  /**
   * Memory shared evenly by the downloads in flight for bytes on disk that their readers still
   * need (download.ts). Default 128 MiB; 0: each keeps only its most recent bytes.
   */
  downloadMemoryBytes?: number;
  metrics: EdgeMetrics;
  logger: Logger;
  now?: () => number;
}

const DEFAULT_DOWNLOAD_MEMORY_BYTES = 128 << 20;

export class BlobCache {
  private readonly starting = new Map<Digest, Promise<Download>>();
  private readonly downloads = new Map<Digest, Download>();
  /** Downloads that will be kept once verified (their bytes are reserved). */
  private readonly keeping = new WeakSet<Download>();
  /** Each download's end: run, committed and bookkept (`downloads` no longer holds it). */
  private readonly finished = new WeakMap<Download, Promise<void>>();
  private readonly memory: LRUCache<Digest, Buffer> | undefined;
  private readonly shutdown = new AbortController();
  private readonly space: CacheSpace;
  private degradation: StoreDegradation | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BlobCacheOptions) {
    this.now = options.now ?? Date.now;
    this.space = new CacheSpace({
      ...options,
      now: this.now,
      isDownloading: (digest) => this.downloads.has(digest),
      forget: (digest) => this.memory?.delete(digest),
    });
    this.memory =
      options.memoryCacheBytes > 0
        ? new LRUCache<Digest, Buffer>({
            maxSize: options.memoryCacheBytes,
            sizeCalculation: (b) => Math.max(1, b.byteLength),
          })
        : undefined;
  }

  /** Each download's share of `downloadMemoryBytes`, asked again as downloads come and go. */
  private readonly downloadShare = () =>
    Math.floor((this.options.downloadMemoryBytes ?? DEFAULT_DOWNLOAD_MEMORY_BYTES) / Math.max(1, this.downloads.size));

  /**
   * Opens a blob for reading: from memory or disk, or by joining or starting a download. The
   * caller must `close` it (sending it does: routes/send-cached-blob.ts).
   */
  async open(name: string, digest: Digest, token: string): Promise<CachedBlob> {
    const local = await this.openLocal(digest);
    if (local) return local;
    const { download, result } = await this.join(digest, (signal) =>
      this.options.upstream.fetchBlob(name, digest, token, signal),
    );
    const reader = download.attach();
    const release = this.space.countReader(digest);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      release();
      reader.detach();
    };
    return {
      kind: 'download',
      result,
      size: download.size,
      stream: (range) => reader.stream(range).once('close', close),
      close: async () => close(),
    };
  }

  /**
   * The blob when it is held in memory (a small hot blob), its access noted as a hit; undefined
   * otherwise. Synchronous, for the hot path; `open` serves the same blob otherwise.
   */
  openInMemory(digest: Digest): MemoryBlob | undefined {
    const bytes = this.memory?.get(digest);
    if (!bytes) return undefined;
    this.options.index.touch(digest, this.now());
    return memoryBlob(bytes);
  }

  /**
   * Pulls a blob into the cache without a client reading it (warm): joins the download in flight
   * or starts one from `origin` with `token` (a registry token from main, or none when main is
   * open). Resolves once the blob is verified and kept; throws `UpstreamError`, the download's
   * own failure, or `BlobNotKeptError` when it does not fit the budget.
   */
  async prefetch(name: string, digest: Digest, token: string | undefined): Promise<'cached' | 'already-cached'> {
    if (this.has(digest)) return 'already-cached';
    const origin = this.options.origin ?? this.options.upstream;
    const { download } = await this.join(digest, (signal) => origin.fetchBlob(name, digest, token, signal));
    await download.whenSettled();
    if (download.state === 'failed') throw download.error;
    if (!this.has(digest)) {
      const code = download.degraded && (errorCodeOf(download.degraded) ?? 'error');
      const why = code ? `could not be written to the store (${code})` : undefined;
      throw new BlobNotKeptError(digest, download.size, why);
    }
    return 'cached';
  }

  /** The blob's size, asking upstream (HEAD) only when it is neither cached nor downloading. */
  async stat(name: string, digest: Digest, token: string): Promise<{ size: number; result: CacheResult }> {
    const entry = this.options.index.get(digest);
    if (entry) return { size: entry.size, result: 'hit' };
    const download = this.downloads.get(digest);
    if (download?.joinable) return { size: download.size, result: download.state === 'verified' ? 'hit' : 'coalesced' };
    return { size: await this.options.upstream.statBlob(name, digest, token), result: 'miss' };
  }

  /** The store's state for /health: degraded while the last write failed. */
  storeHealth(): { degraded?: StoreDegradation } {
    return this.degradation ? { degraded: this.degradation } : {};
  }

  /** Notes a failed store write: counted, logged, and reported by `storeHealth` until a later write succeeds. */
  private storeFailed(err: unknown, digest: Digest): void {
    const code = (err instanceof CacheIndexWriteError ? err.causeCode : errorCodeOf(err)) ?? (err as Error).name;
    this.options.metrics.storeWriteFailures.inc({ code });
    this.options.logger.warn('store write failed: the blob streams through without being kept', {
      digest,
      code,
      error: err,
    });
    this.degradation ??= { code, reason: `${code}: ${(err as Error).message}`.slice(0, 300), since: this.now() };
  }

  /**
   * Whether a blob is cached on this edge: indexed, or verified and being committed to be kept
   * (its clients have every byte already; a commit that then fails makes this false again).
   */
  has(digest: Digest): boolean {
    if (this.options.index.get(digest) !== undefined) return true;
    const download = this.downloads.get(digest);
    return download?.committing === true && this.keeping.has(download);
  }

  /**
   * Resolves once no download is starting, running or being committed: after `abortAll` at
   * shutdown (before the index closes), and for whoever needs the store at rest.
   */
  async settled(): Promise<void> {
    while (this.starting.size > 0 || this.downloads.size > 0) {
      await Promise.allSettled([...this.starting.values()]);
      await Promise.all([...this.downloads.values()].map((d) => this.finished.get(d)));
    }
  }

  private async openLocal(digest: Digest): Promise<CachedBlob | undefined> {
    const { index, store } = this.options;
    const inMemory = this.openInMemory(digest);
    if (inMemory) return inMemory;
    const entry = index.get(digest);
    if (!entry) return undefined;
    // A reader from before the first await: an eviction deciding meanwhile leaves the file alone.
    const release = this.space.countReader(digest);
    try {
      const { file, size } = await store.openFile(digest);
      if (this.memory && size <= this.options.memoryCacheMaxBlobBytes) {
        let bytes: Buffer;
        try {
          bytes = await file.readFile();
        } finally {
          release();
          await file.close().catch(() => {});
        }
        this.memory.set(digest, bytes);
        index.touch(digest, this.now());
        return memoryBlob(bytes);
      }
      index.touch(digest, this.now());
      return fileBlob(file, size, release);
    } catch (err) {
      release();
      if (!(err instanceof BlobNotFoundError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Indexed but gone from disk (removed by hand): forget it and fetch again. If the index
      // cannot be written now, the entry stays (start-up drops it): serve this one as a miss.
      await index.remove(digest).catch((removeError: unknown) => this.storeFailed(removeError, digest));
      return undefined;
    }
  }

  /** The download of `digest` in flight, or a new one started with `fetch`. */
  private async join(
    digest: Digest,
    fetch: (signal: AbortSignal) => Promise<UpstreamBlob>,
  ): Promise<{ download: Download; result: CacheResult }> {
    // Only a download whose file is still open can be joined (a blob streamed through closes
    // it once read); one verified and being committed is not in the index yet, so joining it
    // is what spares a second upstream fetch.
    const running = this.downloads.get(digest);
    // A verified download is joined only while it is being committed to be kept: one that
    // streamed through closes its file as soon as its own readers are done.
    if (running?.joinable && (running.state === 'running' || this.keeping.has(running)))
      return { download: running, result: running.state === 'verified' ? 'hit' : 'coalesced' };
    // No await before `starting.set`: a second request in the same tick must find it.
    const pending = this.starting.get(digest);
    if (pending) return { download: await pending, result: 'coalesced' };
    const start = this.startDownload(digest, fetch);
    this.starting.set(digest, start);
    try {
      return { download: await start, result: 'miss' };
    } finally {
      this.starting.delete(digest);
    }
  }

  private async startDownload(
    digest: Digest,
    fetch: (signal: AbortSignal) => Promise<UpstreamBlob>,
  ): Promise<Download> {
    const { metrics, logger, store } = this.options;
    const requested = performance.now();
    let fetched;
    try {
      fetched = await fetch(this.shutdown.signal);
    } catch (err) {
      metrics.upstreamFetches.inc({ outcome: 'error' });
      throw err;
    }
    metrics.upstreamTtfb.observe((performance.now() - requested) / 1000);
    const size = fetched.size;
    let reservation: Reservation | undefined;
    let download: Download;
    try {
      reservation = await this.space.reserve(size).catch((err: unknown) => {
        // Eviction could not write the index: serve this one through rather than fail it.
        this.storeFailed(err, digest);
        return undefined;
      });
      download = await Download.create(digest, size, store, this.downloadShare);
    } catch (err) {
      // A disk error before the transfer: give the space back and hang up on upstream.
      reservation?.release();
      fetched.body.on('error', () => {}).destroy();
      metrics.upstreamFetches.inc({ outcome: 'error' });
      throw err;
    }
    this.downloads.set(digest, download);
    const keep = reservation !== undefined;
    if (keep) this.keeping.add(download);
    const body = countBytes(fetched.body, (n) => metrics.upstreamBytes.inc(n));
    // A fetch is done when its bytes are verified, whatever becomes of the commit after.
    void download.whenVerified().then((ok) => metrics.upstreamFetches.inc({ outcome: ok ? 'ok' : 'error' }));
    const finished = download
      .run(body, async (d) => {
        if (!keep) return false;
        await d.adopt();
        try {
          await this.options.index.add(digest, d.size, this.now());
        } catch (err) {
          // Not indexed, so not kept: the linked file goes too (start-up would re-index it).
          await store.delete(digest).catch(() => {});
          throw err;
        }
        return true;
      })
      .then(() => {
        reservation?.release();
        // A request that came after this one failed may have started the next download of the
        // same digest already: that one stays.
        if (this.downloads.get(digest) === download) this.downloads.delete(digest);
        if (download.kept) this.degradation = undefined;
        if (download.degraded) this.storeFailed(download.degraded, digest);
        if (download.error) logger.warn('upstream download failed', { digest, error: download.error });
        else if (!keep)
          logger.info('blob streamed through without being kept: it does not fit the cache budget', { digest, size });
      });
    this.finished.set(download, finished);
    return download;
  }

  /** Removes blobs not read within the TTL; returns how many. */
  evictExpired(): Promise<number> {
    return this.space.evictExpired();
  }

  /** Removes one blob now (admin purge), even one being read. False when it was not cached. */
  purge(digest: Digest): Promise<boolean> {
    return this.space.purge(digest);
  }

  /** Reserves room for a blob of `bytes` (cache-space.ts); exposed for the tests of the budget. */
  reserve(bytes: number): Promise<Reservation | undefined> {
    return this.space.reserve(bytes);
  }

  /** How many readers have `digest` open now (the eviction leaves it alone while any has). */
  readersOf(digest: Digest): number {
    return this.space.readersOf(digest);
  }

  async setPinned(digest: Digest, pinned: boolean): Promise<boolean> {
    return this.options.index.setPinned(digest, pinned);
  }

  /** Aborts downloads in flight (their clients get an aborted response) at shutdown. */
  abortAll(): void {
    this.shutdown.abort();
  }
}

async function* countBytes(body: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    count(chunk.byteLength);
    yield chunk;
  }
}
