/**
 * @module The pull-through blob cache: the same read side as a blob store, hiding hit, miss,
 * coalescing and write-back (as distribution's proxyBlobStore does). The blob route is the
 * same code for all of them.
 *
 * - hit: small blobs from memory, others from disk;
 * - miss: one upstream fetch per digest, however many clients ask (`starting` holds the fetch
 *   before its headers arrive, `downloads` the transfer after);
 * - write-back: the download is verified, linked into the store, then indexed;
 * - budget: room is made before a download starts; a blob that cannot fit is streamed through
 *   without being kept.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Digest } from '../../src/oci/digest.js';
import type { ByteRange } from '../../src/store/blob-store.js';
import type { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { BlobNotFoundError } from '../../src/store/errors.js';
import { linkIntoPlace } from '../../src/store/file-io.js';
import type { Logger } from '../../src/log/logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { CacheIndex } from './cache-index.js';
import { Download } from './download.js';
import { bytesToFree, selectExpired, selectLruVictims, type Budget, type IndexedBlob } from './eviction.js';
import type { Upstream } from './upstream.js';

export type CacheResult = 'hit' | 'miss' | 'coalesced';

export interface CachedBlob {
  result: CacheResult;
  size: number;
  /** The blob or a range of it; call at most once. */
  stream(range?: ByteRange): Readable;
  /** Releases the blob when no stream is taken (HEAD, errors). */
  close(): Promise<void>;
}

export interface BlobCacheOptions {
  index: CacheIndex;
  store: FsBlobStore;
  upstream: Upstream;
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
  private readonly now: () => number;

  constructor(private readonly options: BlobCacheOptions) {
    this.now = options.now ?? Date.now;
    this.memory = options.memoryCacheBytes > 0
      ? new LRUCache<Digest, Buffer>({ maxSize: options.memoryCacheBytes, sizeCalculation: (b) => Math.max(1, b.byteLength) })
      : undefined;
  }

  /** Opens a blob for reading: from memory or disk, or by joining or starting a download. */
  async open(name: string, digest: Digest, token: string): Promise<CachedBlob> {
    return (await this.openLocal(digest)) ?? this.openRemote(name, digest, token);
  }

  /** The blob's size, asking upstream (HEAD) only when it is neither cached nor downloading. */
  async stat(name: string, digest: Digest, token: string): Promise<{ size: number; result: CacheResult }> {
    const entry = this.options.index.get(digest);
    if (entry) return { size: entry.size, result: 'hit' };
    const download = this.downloads.get(digest);
    if (download) return { size: download.size, result: 'coalesced' };
    return { size: await this.options.upstream.statBlob(name, digest, token), result: 'miss' };
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
      if (this.memory && entry.size <= this.options.memoryCacheMaxBlobBytes) {
        const bytes = await readFile(store.paths.blob(digest));
        this.memory.set(digest, bytes);
        index.touch(digest, this.now());
        return bufferBlob(bytes);
      }
      const blob = await store.open(digest);
      index.touch(digest, this.now());
      return {
        result: 'hit',
        size: blob.size,
        stream: (range) => this.track(digest, blob.stream(range)),
        close: () => blob.close(),
      };
    } catch (err) {
      if (!(err instanceof BlobNotFoundError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Indexed but gone from disk (removed by hand): forget it and fetch again.
      await index.remove(digest);
      return undefined;
    }
  }

  private async openRemote(name: string, digest: Digest, token: string): Promise<CachedBlob> {
    const running = this.downloads.get(digest);
    if (running && running.state !== 'failed') return downloadBlob(running, 'coalesced');
    // No await before `starting.set`: a second request in the same tick must find it.
    const pending = this.starting.get(digest);
    if (pending) return downloadBlob(await pending, 'coalesced');
    const start = this.startDownload(name, digest, token);
    this.starting.set(digest, start);
    try {
      return downloadBlob(await start, 'miss');
    } finally {
      this.starting.delete(digest);
    }
  }

  private async startDownload(name: string, digest: Digest, token: string): Promise<Download> {
    const { upstream, metrics, logger, store } = this.options;
    const requested = performance.now();
    let fetched;
    try {
      fetched = await upstream.fetchBlob(name, digest, token, this.shutdown.signal);
    } catch (err) {
      metrics.upstreamFetches.inc({ outcome: 'error' });
      throw err;
    }
    metrics.upstreamTtfb.observe((performance.now() - requested) / 1000);
    const keep = await this.makeRoom(fetched.size);
    if (keep) this.reservedBytes += fetched.size;
    const download = await Download.create(digest, fetched.size, store.paths.newTemp());
    this.downloads.set(digest, download);
    const body = countBytes(fetched.body, (n) => metrics.upstreamBytes.inc(n));
    void download
      .run(body, async (d) => {
        if (!keep) return;
        await linkIntoPlace(d.tempPath, store.paths.blob(digest));
        await this.options.index.add(digest, d.size, this.now());
      })
      .then(() => {
        if (keep) this.reservedBytes -= fetched.size;
        this.downloads.delete(digest);
        metrics.upstreamFetches.inc({ outcome: download.state === 'verified' ? 'ok' : 'error' });
        if (download.error) logger.warn('upstream download failed', { digest, error: download.error });
        else if (!keep) logger.info('blob streamed through without being kept: it does not fit the cache budget', { digest, size: fetched.size });
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

  /** Counts open disk readers so that eviction leaves their blob alone. */
  private track(digest: Digest, stream: Readable): Readable {
    this.readers.set(digest, (this.readers.get(digest) ?? 0) + 1);
    stream.once('close', () => {
      const left = (this.readers.get(digest) ?? 1) - 1;
      if (left > 0) this.readers.set(digest, left);
      else this.readers.delete(digest);
    });
    return stream;
  }
}

function bufferBlob(bytes: Buffer): CachedBlob {
  return {
    result: 'hit',
    size: bytes.byteLength,
    stream: (range) => Readable.from(range ? [bytes.subarray(range.start, range.end + 1)] : [bytes], { objectMode: false }),
    close: async () => {},
  };
}

function downloadBlob(download: Download, result: CacheResult): CachedBlob {
  return { result, size: download.size, stream: (range) => download.createReader(range), close: async () => {} };
}

async function* countBytes(body: AsyncIterable<Uint8Array>, count: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    count(chunk.byteLength);
    yield chunk;
  }
}
