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
import { bytesToFree, selectExpired, selectLruVictims, type Budget, type IndexedBlob } from './eviction.js';
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
  metrics: EdgeMetrics;
  logger: Logger;
  now?: () => number;
}

export class BlobCache {
  private readonly starting = new Map<Digest, Promise<Download>>();
  private readonly downloads = new Map<Digest, Download>();
  /** Downloads that will be kept once verified (their bytes are reserved). */
  private readonly keeping = new WeakSet<Download>();
  /** Each download's end: run, committed and bookkept (`downloads` no longer holds it). */
  private readonly finished = new WeakMap<Download, Promise<void>>();
  private readonly readers = new Map<Digest, number>();
  private readonly memory: LRUCache<Digest, Buffer> | undefined;
  private readonly shutdown = new AbortController();
  private reservedBytes = 0;
  /** Blobs chosen for eviction whose removal is under way, and their bytes. */
  private readonly evicting = new Set<Digest>();
  private evictingBytes = 0;
  private degradation: StoreDegradation | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BlobCacheOptions) {
    this.now = options.now ?? Date.now;
    this.memory =
      options.memoryCacheBytes > 0
        ? new LRUCache<Digest, Buffer>({
            maxSize: options.memoryCacheBytes,
            sizeCalculation: (b) => Math.max(1, b.byteLength),
          })
        : undefined;
  }

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
    const release = this.countReader(digest);
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

  /** How many readers have `digest` open now (the eviction leaves it alone while any has). */
  readersOf(digest: Digest): number {
    return this.readers.get(digest) ?? 0;
  }

  /** Counts a reader of `digest`; the returned function ends it (once). */
  private countReader(digest: Digest): () => void {
    this.readers.set(digest, (this.readers.get(digest) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.readers.get(digest) ?? 1) - 1;
      if (left > 0) this.readers.set(digest, left);
      else this.readers.delete(digest);
    };
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
    return download !== undefined && download.isCommitting && this.keeping.has(download);
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
    const release = this.countReader(digest);
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
    let keep = false;
    let download: Download;
    try {
      keep = await this.reserve(size).catch((err: unknown) => {
        // Eviction could not write the index: serve this one through rather than fail it.
        this.storeFailed(err, digest);
        return false;
      });
      download = await Download.create(digest, size, store);
    } catch (err) {
      // A disk error before the transfer: give the space back and hang up on upstream.
      if (keep) this.reservedBytes -= size;
      fetched.body.on('error', () => {}).destroy();
      metrics.upstreamFetches.inc({ outcome: 'error' });
      throw err;
    }
    this.downloads.set(digest, download);
    if (keep) this.keeping.add(download);
    const body = countBytes(fetched.body, (n) => metrics.upstreamBytes.inc(n));
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
        if (keep) this.reservedBytes -= size;
        // A request that came after this one failed may have started the next download of the
        // same digest already: that one stays.
        if (this.downloads.get(digest) === download) this.downloads.delete(digest);
        metrics.upstreamFetches.inc({ outcome: download.state === 'verified' ? 'ok' : 'error' });
        if (download.kept) this.degradation = undefined;
        if (download.degraded) this.storeFailed(download.degraded, digest);
        if (download.error) logger.warn('upstream download failed', { digest, error: download.error });
        else if (!keep)
          logger.info('blob streamed through without being kept: it does not fit the cache budget', { digest, size });
      });
    this.finished.set(download, finished);
    return download;
  }

  /**
   * Reserves `incoming` bytes under the high watermark, evicting least recently used blobs for
   * them; true when the reservation holds (the caller gives the bytes back with `reservedBytes`
   * once its download settled). Everything up to the reservation happens before the first
   * await: a second miss deciding meanwhile sees these bytes taken and these victims going, so
   * it neither counts the same free space nor picks the same victims. False when the bytes
   * cannot fit (pinned or busy blobs hold the space, or the blob is larger than the budget):
   * the caller then streams through without keeping.
   */
  async reserve(incoming: number): Promise<boolean> {
    const { budget, index } = this.options;
    const limit = budget.maxBytes * budget.highWatermark;
    if (incoming > limit) return false;
    const used = index.bytes - this.evictingBytes + this.reservedBytes;
    const needed = bytesToFree(used, incoming, budget);
    const victims =
      needed === 0 ? [] : selectLruVictims(index.entries(), needed, (d) => this.isBusy(d) || this.evicting.has(d));
    const freed = victims.reduce((n, v) => n + v.entry.size, 0);
    if (used - freed + incoming > limit) return false;
    this.reservedBytes += incoming;
    if (victims.length === 0) return true;
    for (const { digest } of victims) this.evicting.add(digest);
    this.evictingBytes += freed;
    try {
      await this.evict(victims, 'space');
    } finally {
      for (const { digest } of victims) this.evicting.delete(digest);
      this.evictingBytes -= freed;
    }
    // A victim that could not be removed (read meanwhile, or gone already) leaves less room.
    if (index.bytes - this.evictingBytes + this.reservedBytes <= limit) return true;
    this.reservedBytes -= incoming;
    return false;
  }

  /** Removes blobs not read within the TTL; returns how many. */
  async evictExpired(): Promise<number> {
    const victims = selectExpired(this.options.index.entries(), this.now(), this.options.ttlMs, (d) => this.isBusy(d));
    await this.evict(victims, 'ttl');
    return victims.length;
  }

  /** Removes one blob now (admin purge). False when it was not cached. */
  async purge(digest: Digest): Promise<boolean> {
    const entry = this.options.index.get(digest);
    if (!entry) return false;
    await this.evict([{ digest, entry }], 'purge');
    return true;
  }

  async setPinned(digest: Digest, pinned: boolean): Promise<boolean> {
    return this.options.index.setPinned(digest, pinned);
  }

  /** Aborts downloads in flight (their clients get an aborted response) at shutdown. */
  abortAll(): void {
    this.shutdown.abort();
  }

  private async evict(victims: IndexedBlob[], reason: 'space' | 'ttl' | 'purge'): Promise<void> {
    for (const { digest } of victims) {
      // A reader may have opened it since it was chosen (between two removals): it stays.
      if (reason !== 'purge' && this.isBusy(digest)) continue;
      // Index first: a crash in between leaves a file without entry, which start-up re-indexes.
      if (!(await this.options.index.remove(digest))) continue;
      this.memory?.delete(digest);
      await this.options.store.delete(digest);
      this.options.metrics.evictions.inc({ reason });
    }
    if (victims.length > 0) this.options.logger.info('evicted blobs', { reason, count: victims.length });
  }

  private isBusy(digest: Digest): boolean {
    return (this.readers.get(digest) ?? 0) > 0 || this.downloads.has(digest);
  }
}

async function* countBytes(body: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    count(chunk.byteLength);
    yield chunk;
  }
}
