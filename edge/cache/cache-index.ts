/**
 * @module The edge's LMDB index: one entry per cached blob, plus the cached JWKS.
 *
 *	blobs   <digest>   CacheEntry
 *	meta    "jwks"     { keys, fetchedAt }
 *
 * Reads are synchronous and cheap. Hits do not write: last-access times and hit counts are
 * gathered in memory and flushed in one transaction per interval (`flushAccess`), so a hot
 * edge does one LMDB write per interval instead of one per request.
 */
import { openLmdb, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import type { Digest } from '../../src/oci/digest.js';

export interface CacheEntry {
  size: number;
  storedAt: number;
  lastAccess: number;
  hits: number;
  pinned: boolean;
}

export interface CachedJwks {
  keys: unknown[];
  fetchedAt: number;
}

export class CacheIndex {
  private readonly root: RootDatabase;
  private readonly blobs: Database<CacheEntry, string>;
  private readonly meta: Database<CachedJwks, string>;
  private readonly pendingAccess = new Map<string, { at: number; hits: number }>();
  private totalBytes = 0;

  constructor(path: string) {
    this.root = openLmdb({ path });
    this.blobs = this.root.openDB<CacheEntry, string>({ name: 'blobs', encoding: 'msgpack' });
    this.meta = this.root.openDB<CachedJwks, string>({ name: 'meta', encoding: 'msgpack' });
    for (const { value } of this.blobs.getRange()) this.totalBytes += value.size;
  }

  /** Bytes of all indexed blobs. */
  get bytes(): number {
    return this.totalBytes;
  }

  get count(): number {
    return this.blobs.getKeysCount();
  }

  get(digest: Digest): CacheEntry | undefined {
    return this.blobs.get(digest);
  }

  /** Indexes a blob that was just committed to disk (or re-found at start-up). */
  async add(digest: Digest, size: number, now: number, pinned = false): Promise<void> {
    await this.root.transaction(() => {
      const existing = this.blobs.get(digest);
      if (existing) this.totalBytes -= existing.size;
      this.blobs.put(digest, { size, storedAt: existing?.storedAt ?? now, lastAccess: now, hits: existing?.hits ?? 0, pinned: existing?.pinned ?? pinned });
      this.totalBytes += size;
    });
  }

  async remove(digest: Digest): Promise<boolean> {
    return this.root.transaction(() => {
      const existing = this.blobs.get(digest);
      if (!existing) return false;
      this.blobs.remove(digest);
      this.totalBytes -= existing.size;
      this.pendingAccess.delete(digest);
      return true;
    });
  }

  async setPinned(digest: Digest, pinned: boolean): Promise<boolean> {
    return this.root.transaction(() => {
      const existing = this.blobs.get(digest);
      if (!existing) return false;
      this.blobs.put(digest, { ...existing, pinned });
      return true;
    });
  }

  /** Notes a read; written to LMDB by the next `flushAccess`. */
  touch(digest: Digest, now: number): void {
    const pending = this.pendingAccess.get(digest);
    if (pending) {
      pending.at = now;
      pending.hits++;
    } else {
      this.pendingAccess.set(digest, { at: now, hits: 1 });
    }
  }

  /** Writes gathered access times and hit counts in one transaction. */
  async flushAccess(): Promise<number> {
    if (this.pendingAccess.size === 0) return 0;
    const batch = [...this.pendingAccess];
    this.pendingAccess.clear();
    await this.root.transaction(() => {
      for (const [digest, access] of batch) {
        const entry = this.blobs.get(digest);
        if (entry) this.blobs.put(digest, { ...entry, lastAccess: Math.max(entry.lastAccess, access.at), hits: entry.hits + access.hits });
      }
    });
    return batch.length;
  }

  /**
   * Every entry, with access not yet flushed taken into account: last access for eviction and
   * hit counts for stats (which would otherwise lag by up to one flush interval).
   */
  *entries(): Iterable<{ digest: Digest; entry: CacheEntry }> {
    for (const { key, value } of this.blobs.getRange()) {
      const pending = this.pendingAccess.get(key);
      yield {
        digest: key as Digest,
        entry: pending ? { ...value, lastAccess: Math.max(value.lastAccess, pending.at), hits: value.hits + pending.hits } : value,
      };
    }
  }

  getJwks(): CachedJwks | undefined {
    return this.meta.get('jwks');
  }

  async putJwks(jwks: CachedJwks): Promise<void> {
    await this.meta.put('jwks', jwks);
  }

  async close(): Promise<void> {
    await this.flushAccess();
    await this.root.close();
  }
}
