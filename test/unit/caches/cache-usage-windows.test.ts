/** The dashboard's windows over usage samples (main/caches/cache-usage-windows.ts). */
import { describe, expect, it } from 'vitest';
import { groupUsage, nodeUsage } from '../../../main/caches/cache-usage-windows.js';
import type { CacheUsageSample } from '../../../main/metadata/caches.js';

const H = 3_600_000;
const NOW = Date.UTC(2030, 0, 2, 12);
const sample = (agoMs: number, counters: Partial<CacheUsageSample> = {}): CacheUsageSample => ({
  at: NOW - agoMs,
  hits: 0,
  misses: 0,
  servedBytes: 0,
  upstreamBytes: 0,
  evictions: 0,
  blobs: 0,
  storeBytes: 0,
  maxBytes: 0,
  redirects: 0,
  ...counters,
});
const nothing = { hits: 0, misses: 0, servedBytes: 0, upstreamBytes: 0, evictions: 0, redirects: 0 };

describe('nodeUsage', () => {
  it('has zero windows, no ratio, 24 empty hours and no store without samples', () => {
    const usage = nodeUsage([], NOW);
    expect(usage.lastHour).toEqual(nothing);
    expect(usage.lastDay).toEqual(nothing);
    expect(usage.hourly).toHaveLength(24);
    expect(usage.hourly[0]).toEqual({ start: NOW - 24 * H, ...nothing });
    expect(usage.hourly[23]).toEqual({ start: NOW - H, ...nothing });
    expect(usage.store).toBeUndefined();
  });

  it('counts the differences between samples in the hour and the day, the store as last seen', () => {
    const usage = nodeUsage(
      [
        sample(0, { hits: 30, misses: 10, servedBytes: 700, upstreamBytes: 90, evictions: 2, redirects: 40 }),
        sample(2 * H, { hits: 10, misses: 5, servedBytes: 100, upstreamBytes: 50, redirects: 15, blobs: 1 }),
        sample(30 * 60_000, { hits: 20, misses: 5, servedBytes: 300, upstreamBytes: 50, redirects: 25 }),
      ].map((s, i) => (i === 0 ? { ...s, blobs: 4, storeBytes: 400, maxBytes: 1000 } : s)),
      NOW,
    );
    expect(usage.lastHour).toEqual({
      hits: 20,
      misses: 5,
      servedBytes: 600,
      upstreamBytes: 40,
      evictions: 2,
      redirects: 25,
      hitRatio: 0.8,
    });
    // The first sample counts from 0 (a node seen for the first time has just started).
    expect(usage.lastDay).toMatchObject({ hits: 30, misses: 10, servedBytes: 700, redirects: 40, hitRatio: 0.75 });
    expect(usage.hourly[21]).toMatchObject({ hits: 10, misses: 5, servedBytes: 100 });
    expect(usage.hourly[23]).toMatchObject({ hits: 20, misses: 5, servedBytes: 600, hitRatio: 0.8 });
    expect(usage.store).toEqual({ blobs: 4, bytes: 400, maxBytes: 1000 });
  });

  it('counts from 0 after a counter went down (the edge restarted)', () => {
    const usage = nodeUsage(
      [sample(70 * 60_000, { hits: 100 }), sample(40 * 60_000, { hits: 150 }), sample(0, { hits: 20, misses: 4 })],
      NOW,
    );
    expect(usage.lastHour).toMatchObject({ hits: 50 + 20, misses: 4 });
  });

  it('uses samples older than the day only as its start, and ignores samples after now', () => {
    const usage = nodeUsage(
      [sample(24.5 * H, { hits: 1000, servedBytes: 5000 }), sample(3 * H, { hits: 1010, servedBytes: 5100 })],
      NOW,
    );
    expect(usage.lastDay).toMatchObject({ hits: 10, servedBytes: 100 });
    expect(nodeUsage([sample(-60_000, { hits: 5 })], NOW).lastDay.hits).toBe(0);
  });

  it('puts what happened during a gap in the hour the samples resume', () => {
    const usage = nodeUsage([sample(5 * H, { hits: 1 }), sample(1.5 * H, { hits: 9 })], NOW);
    expect(usage.hourly.map((p) => p.hits)).toEqual([...Array(18).fill(0), 1, 0, 0, 0, 8, 0]);
    expect(usage.lastHour.hits).toBe(0);
  });
});

describe('groupUsage', () => {
  it("sums its nodes' windows, hours and stores, with the ratio of the sums", () => {
    const a = nodeUsage([sample(H + 1, { hits: 0 }), sample(0, { hits: 9, misses: 1, blobs: 2, maxBytes: 10 })], NOW);
    const b = nodeUsage(
      [sample(H + 1), sample(0, { hits: 1, misses: 9, servedBytes: 7, blobs: 3, maxBytes: 20 })],
      NOW,
    );
    const group = groupUsage([a, b], NOW);
    expect(group.lastHour).toMatchObject({ hits: 10, misses: 10, servedBytes: 7, hitRatio: 0.5 });
    expect(group.hourly[23]).toMatchObject({ hits: 10, misses: 10, hitRatio: 0.5 });
    expect(group.store).toEqual({ blobs: 5, bytes: 0, maxBytes: 30 });
    expect(groupUsage([], NOW)).toEqual(nodeUsage([], NOW));
  });
});
