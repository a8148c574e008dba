/**
 * @module The edge's disk budget at run time: who reads what (readers), which bytes are promised
 * to downloads in flight (reservations), and removing blobs (for space, by time-to-live, by
 * purge). The policy (which blobs go) is eviction.ts; this owns the bookkeeping around it.
 *
 * Readers and reservations are counted synchronously, before any await, so a decision taken
 * meanwhile sees them: a blob opened is never evicted under its reader, and two misses at once
 * never count the same free bytes nor pick the same victims.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { LocalBlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { CacheIndex } from './cache-index.js';
import { bytesToFree, selectExpired, selectLruVictims, type Budget, type IndexedBlob } from './eviction.js';

/** Bytes promised to one download: given back with `release` (once) when it settled. */
export interface Reservation {
  readonly bytes: number;
  release(): void;
}

export interface CacheSpaceOptions {
  index: CacheIndex;
  store: LocalBlobStore;
  budget: Budget;
  ttlMs: number;
  metrics: EdgeMetrics;
  logger: Logger;
  now: () => number;
  /** Whether a download of `digest` is in flight (its blob is not evicted meanwhile). */
  isDownloading(digest: Digest): boolean;
  /** Drops what is held of a removed blob elsewhere (the memory cache). */
  forget(digest: Digest): void;
}

export class CacheSpace {
  private readonly readers = new Map<Digest, number>();
  private reservedBytes = 0;
  /** Blobs chosen for eviction whose removal is under way, and their bytes. */
  private readonly evicting = new Set<Digest>();
  private evictingBytes = 0;

  constructor(private readonly options: CacheSpaceOptions) {}

  /** Counts a reader of `digest` from now on; the returned function ends it (once). */
  countReader(digest: Digest): () => void {
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

  /** How many readers have `digest` open now. */
  readersOf(digest: Digest): number {
    return this.readers.get(digest) ?? 0;
  }

  /**
   * Reserves `incoming` bytes under the high watermark, evicting least recently used blobs for
   * them. Everything up to the reservation happens before the first await: a second miss
   * deciding meanwhile sees these bytes taken and these victims going. Undefined when the bytes
   * cannot fit (pinned or busy blobs hold the space, or the blob is larger than the budget):
   * the caller then streams through without keeping. Throws when the index cannot be written.
   */
  async reserve(incoming: number): Promise<Reservation | undefined> {
    const { budget, index } = this.options;
    const limit = budget.maxBytes * budget.highWatermark;
    if (incoming > limit) return undefined;
    const used = index.bytes - this.evictingBytes + this.reservedBytes;
    const needed = bytesToFree(used, incoming, budget);
    const victims =
      needed === 0 ? [] : selectLruVictims(index.entries(), needed, (d) => this.isBusy(d) || this.evicting.has(d));
    const freed = victims.reduce((n, v) => n + v.entry.size, 0);
    if (used - freed + incoming > limit) return undefined;
    const reservation = this.hold(incoming);
    if (victims.length === 0) return reservation;
    for (const { digest } of victims) this.evicting.add(digest);
    this.evictingBytes += freed;
    try {
      await this.evict(victims, 'space');
    } catch (err) {
      reservation.release();
      throw err;
    } finally {
      for (const { digest } of victims) this.evicting.delete(digest);
      this.evictingBytes -= freed;
    }
    // A victim that could not be removed (read meanwhile, or gone already) leaves less room.
    if (index.bytes - this.evictingBytes + this.reservedBytes <= limit) return reservation;
    reservation.release();
    return undefined;
  }

  /** Removes blobs not read within the TTL; returns how many. */
  async evictExpired(): Promise<number> {
    const { index, now, ttlMs } = this.options;
    const victims = selectExpired(index.entries(), now(), ttlMs, (d) => this.isBusy(d) || this.evicting.has(d));
    await this.evict(victims, 'ttl');
    return victims.length;
  }

  /** Removes one blob now (admin purge), even one being read. False when it was not cached. */
  async purge(digest: Digest): Promise<boolean> {
    const entry = this.options.index.get(digest);
    if (!entry) return false;
    await this.evict([{ digest, entry }], 'purge');
    return true;
  }

  private hold(bytes: number): Reservation {
    this.reservedBytes += bytes;
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.reservedBytes -= bytes;
      },
    };
  }

  private async evict(victims: IndexedBlob[], reason: 'space' | 'ttl' | 'purge'): Promise<void> {
    const { index, store, metrics, logger } = this.options;
    for (const { digest } of victims) {
      // A reader may have opened it since it was chosen (between two removals): it stays.
      if (reason !== 'purge' && this.isBusy(digest)) continue;
      // Index first: a crash in between leaves a file without entry, which start-up re-indexes.
      if (!(await index.remove(digest))) continue;
      this.options.forget(digest);
      await store.delete(digest);
      metrics.evictions.inc({ reason });
    }
    if (victims.length > 0) logger.info('evicted blobs', { reason, count: victims.length });
  }

  private isBusy(digest: Digest): boolean {
    return (this.readers.get(digest) ?? 0) > 0 || this.options.isDownloading(digest);
  }
}
