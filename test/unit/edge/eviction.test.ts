import { describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/oci/digest.js';
import type { CacheEntry } from '../../../edge/cache/cache-index.js';
import {
  bytesToFree,
  selectExpired,
  selectLruVictims,
  type Budget,
  type IndexedBlob,
} from '../../../edge/cache/eviction.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

function blob(n: number, entry: Partial<CacheEntry> = {}): IndexedBlob {
  return { digest: digest(n), entry: { size: 100, storedAt: 0, lastAccess: 0, hits: 0, pinned: false, ...entry } };
}

const idle = () => false;
const digestsOf = (blobs: IndexedBlob[]) => blobs.map((b) => b.digest);

describe('selectLruVictims', () => {
  it('takes the least recently accessed blobs first, whatever order the index lists them in', () => {
    const blobs = [blob(1, { lastAccess: 30 }), blob(2, { lastAccess: 10 }), blob(3, { lastAccess: 20 })];
    expect(digestsOf(selectLruVictims(blobs, 300, idle))).toEqual([digest(2), digest(3), digest(1)]);
  });

  it('stops as soon as enough bytes are freed', () => {
    const blobs = [
      blob(1, { lastAccess: 1, size: 60 }),
      blob(2, { lastAccess: 2, size: 60 }),
      blob(3, { lastAccess: 3, size: 60 }),
    ];
    expect(digestsOf(selectLruVictims(blobs, 100, idle))).toEqual([digest(1), digest(2)]);
    expect(digestsOf(selectLruVictims(blobs, 60, idle))).toEqual([digest(1)]);
  });

  it('never selects a pinned blob, however old', () => {
    const blobs = [blob(1, { lastAccess: 0, pinned: true }), blob(2, { lastAccess: 5 })];
    expect(digestsOf(selectLruVictims(blobs, 1000, idle))).toEqual([digest(2)]);
  });

  it('never selects a blob that is being read or downloaded', () => {
    const blobs = [blob(1, { lastAccess: 0 }), blob(2, { lastAccess: 5 })];
    expect(digestsOf(selectLruVictims(blobs, 1000, (d) => d === digest(1)))).toEqual([digest(2)]);
  });

  it('returns what it can when even every candidate does not free enough', () => {
    const blobs = [blob(1, { size: 10 }), blob(2, { size: 10, pinned: true })];
    expect(digestsOf(selectLruVictims(blobs, 1000, idle))).toEqual([digest(1)]);
  });

  it('selects nothing when nothing needs freeing', () => {
    expect(selectLruVictims([blob(1)], 0, idle)).toEqual([]);
    expect(selectLruVictims([blob(1)], -5, idle)).toEqual([]);
  });
});

describe('selectExpired', () => {
  const now = 1_000_000;

  it('selects blobs whose last access is older than the time-to-live', () => {
    const blobs = [
      blob(1, { lastAccess: now - 5_001 }),
      blob(2, { lastAccess: now - 4_999 }),
      blob(3, { lastAccess: now }),
    ];
    expect(digestsOf(selectExpired(blobs, now, 5_000, idle))).toEqual([digest(1)]);
  });

  it('keeps a blob accessed exactly ttl ago (expiry is strictly after)', () => {
    expect(selectExpired([blob(1, { lastAccess: now - 5_000 })], now, 5_000, idle)).toEqual([]);
  });

  it('selects nothing when the time-to-live is 0 (off)', () => {
    expect(selectExpired([blob(1, { lastAccess: 0 })], now, 0, idle)).toEqual([]);
  });

  it('never expires pinned or busy blobs', () => {
    const blobs = [blob(1, { pinned: true }), blob(2), blob(3)];
    expect(digestsOf(selectExpired(blobs, now, 1, (d) => d === digest(2)))).toEqual([digest(3)]);
  });
});

describe('bytesToFree', () => {
  const budget: Budget = { maxBytes: 1000, highWatermark: 0.9, lowWatermark: 0.5 };

  it('frees nothing while usage after the incoming blob stays at or under the high watermark', () => {
    expect(bytesToFree(0, 900, budget)).toBe(0);
    expect(bytesToFree(800, 100, budget)).toBe(0);
  });

  it('frees down to the low watermark once the high watermark would be passed', () => {
    // 850 + 100 = 950 > 900: come down to 500 with the new blob counted.
    expect(bytesToFree(850, 100, budget)).toBe(450);
  });

  it('rounds up fractional watermarks so that the result is whole bytes', () => {
    expect(bytesToFree(10, 0, { maxBytes: 3, highWatermark: 0.9, lowWatermark: 0.5 })).toBe(9);
  });
});
