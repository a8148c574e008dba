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
 * - budget: room is made before a download starts; a blob that cannot fit is streamed through
 *   without being kept;
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
import { bufferBlob, fileBlob, type CachedBlob, type CacheResult } from './cached-blob.js';

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
  private readonly readers = new Map<Digest, number>();
  private readonly memory: LRUCache<Digest, Buffer> | undefined;
  private readonly shutdown = new AbortController();
  private reservedBytes = 0;
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

  /** Opens a blob for reading: from memory or disk, or by joining or starting a download. */
  async open(name: string, digest: Digest, token: string): Promise<CachedBlob> {
    const local = await this.openLocal(digest);
    if (local) return local;
    const { download, result } = await this.join(digest, (signal) =>
      this.options.upstream.fetchBlob(name, digest, token, signal),
    );
    return { result, size: download.size, stream: (range) => download.createReader(range), close: async () => {} };
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
    if (download?.state === 'running') return { size: download.size, result: 'coalesced' };
    return { size: await this.options.upstream.statBlob(name, digest, token), result: 'miss' };
  }

  /**
   * The blob's bytes when it is held in memory (a small hot blob), its access noted as a hit;
   * undefined otherwise. Synchronous, for the hot path; `open` serves the same blob otherwise.
   */
  memoryHit(digest: Digest): Buffer | undefined {
    const bytes = this.memory?.get(digest);
    if (bytes) this.options.index.touch(digest, this.now());
    return bytes;
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

  /** Whether a blob is cached on this edge. */
  has(digest: Digest): boolean {
    return this.options.index.get(digest) !== undefined;
  }

  private async openLocal(digest: Digest): Promise<CachedBlob | undefined> {
    const { index, store } = this.options;
    const inMemory = this.memory?.get(digest);
    if (inMemory) {
      index.touch(digest, this.now());
      return bufferBlob(inMemory);
    }
    const entry = index.get(digest);
    if (!entry) return undefined;
    try {
      const { file, size } = await store.openFile(digest);
      if (this.memory && size <= this.options.memoryCacheMaxBlobBytes) {
        let bytes: Buffer;
        try {
          bytes = await file.readFile();
        } finally {
          await file.close().catch(() => {});
        }
        this.memory.set(digest, bytes);
        index.touch(digest, this.now());
        return bufferBlob(bytes);
      }
      index.touch(digest, this.now());
      // A reader from now until close() or the stream's end: eviction leaves the file alone.
      this.readers.set(digest, (this.readers.get(digest) ?? 0) + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (this.readers.get(digest) ?? 1) - 1;
        if (left > 0) this.readers.set(digest, left);
        else this.readers.delete(digest);
      };
      return fileBlob(file, size, release);
    } catch (err) {
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
    // Only a running download can be joined: a verified one may already have closed its file
    // (a blob streamed through), and a kept one is found by openLocal anyway.
    const running = this.downloads.get(digest);
    if (running?.joinable) return { download: running, result: 'coalesced' };
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
      keep = await this.makeRoom(size).catch((err: unknown) => {
        // Eviction could not write the index: serve this one through rather than fail it.
        this.storeFailed(err, digest);
        return false;
      });
      if (keep) this.reservedBytes += size;
      download = await Download.create(digest, size, store);
    } catch (err) {
      // A disk error before the transfer: give the space back and hang up on upstream.
      if (keep) this.reservedBytes -= size;
      fetched.body.on('error', () => {}).destroy();
      metrics.upstreamFetches.inc({ outcome: 'error' });
      throw err;
    }
    this.downloads.set(digest, download);
    const body = countBytes(fetched.body, (n) => metrics.upstreamBytes.inc(n));
    void download
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
    return download;
  }

  /**
   * Evicts least recently used blobs so that `incoming` bytes fit under the high watermark.
   * False when they cannot (pinned or busy blobs hold the space, or the blob is larger than
   * the budget): the caller then streams through without keeping.
   */
  async makeRoom(incoming: number): Promise<boolean> {
    const { budget, index } = this.options;
    if (incoming > budget.maxBytes * budget.highWatermark) return false;
    const used = index.bytes + this.reservedBytes;
    const needed = bytesToFree(used, incoming, budget);
    if (needed === 0) return true;
    const victims = selectLruVictims(index.entries(), needed, (d) => this.isBusy(d));
    await this.evict(victims, 'space');
    return index.bytes + this.reservedBytes + incoming <= budget.maxBytes * budget.highWatermark;
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
