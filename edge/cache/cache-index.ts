/**
 * @module The edge's LMDB index: one entry per cached blob, plus the cached JWKS.
 *
 *	blobs   <digest>   CacheEntry
 *	meta    "jwks"     { keys, fetchedAt }
 *
 * Reads are synchronous and cheap. Hits do not write: last-access times and hit counts are
 * gathered in memory and flushed in one transaction per interval (`flushAccess`), so a hot
 * edge does one LMDB write per interval instead of one per request.
 *
 * Every write is all or nothing: it runs in `childTransaction`, which lmdb-js aborts when the
 * callback throws (a plain `transaction` commits what was written before the throw), and the
 * in-memory totals change only once the commit succeeded. A failed commit (disk full, I/O
 * error) rejects with `CacheIndexWriteError` and leaves index and totals as they were.
 */
import { openLmdb, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import { errorCodeOf } from '../../src/store/errors.js';
import type { Digest } from '../../src/oci/digest.js';

/**
 * A write to the index failed and changed nothing; `cause` is lmdb-js's error, whose `code`
 * `openLmdb` set to ENOSPC or EIO for a failed commit.
 */
export class CacheIndexWriteError extends Error {
  readonly code = 'OUTPOST_INDEX_WRITE_FAILED';
  /** The underlying error's code (ENOSPC, EIO, ...), when it has one. */
  readonly causeCode: string | undefined;
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    const detail = (cause as Error | undefined)?.message ?? String(cause);
    super(`the cache index could not be written (${operation}): ${detail}`, { cause });
    this.name = 'CacheIndexWriteError';
    this.causeCode = errorCodeOf(cause);
  }
}

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
    // Few writes here (a miss, a flush per interval): no event-turn batching, whose failed
    // commits also reject a promise nobody can handle (see openLmdb).
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

  /** Runs `write` in a transaction that aborts on a throw; throws `CacheIndexWriteError`. */
  private async write<T>(operation: string, write: () => T): Promise<T> {
    try {
      return await this.root.childTransaction(write);
    } catch (err) {
      throw new CacheIndexWriteError(operation, err);
    }
  }

  /** Indexes a blob that was just committed to disk (or re-found at start-up). */
  async add(digest: Digest, size: number, now: number, pinned = false): Promise<void> {
    const replaced = await this.write('add', () => {
      const existing = this.blobs.get(digest);
      this.blobs.put(digest, {
        size,
        storedAt: existing?.storedAt ?? now,
        lastAccess: now,
        hits: existing?.hits ?? 0,
        pinned: existing?.pinned ?? pinned,
      });
      return existing?.size ?? 0;
    });
    this.totalBytes += size - replaced;
  }

  async remove(digest: Digest): Promise<boolean> {
    const removed = await this.write('remove', () => {
      const existing = this.blobs.get(digest);
      if (existing) this.blobs.remove(digest);
      return existing;
    });
    if (!removed) return false;
    this.totalBytes -= removed.size;
    this.pendingAccess.delete(digest);
    return true;
  }

  async setPinned(digest: Digest, pinned: boolean): Promise<boolean> {
    return this.write('pin', () => {
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

  /** Writes gathered access times and hit counts in one transaction; on failure they wait for the next. */
  async flushAccess(): Promise<number> {
    if (this.pendingAccess.size === 0) return 0;
    const batch = [...this.pendingAccess];
    this.pendingAccess.clear();
    try {
      await this.write('access times', () => {
        for (const [digest, access] of batch) {
          const entry = this.blobs.get(digest);
          if (!entry) continue;
          const lastAccess = Math.max(entry.lastAccess, access.at);
          this.blobs.put(digest, { ...entry, lastAccess, hits: entry.hits + access.hits });
        }
      });
    } catch (err) {
      // Nothing was written: merge the batch back with what was noted meanwhile.
      for (const [digest, access] of batch) {
        const later = this.pendingAccess.get(digest);
        const merged = later ? { at: Math.max(later.at, access.at), hits: later.hits + access.hits } : access;
        this.pendingAccess.set(digest, merged);
      }
      throw err;
    }
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
        entry: pending
          ? { ...value, lastAccess: Math.max(value.lastAccess, pending.at), hits: value.hits + pending.hits }
          : value,
      };
    }
  }

  getJwks(): CachedJwks | undefined {
    return this.meta.get('jwks');
  }

  async putJwks(jwks: CachedJwks): Promise<void> {
    await this.write('signing keys', () => this.meta.put('jwks', jwks));
  }

  /** Flushes access times (a failure loses them, not the index) and closes LMDB. */
  async close(): Promise<void> {
    await this.flushAccess().catch(() => {});
    await this.root.close();
  }
}
