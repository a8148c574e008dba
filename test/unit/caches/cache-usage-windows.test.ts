/** The dashboard's windows over usage samples and redirect samples (main/caches/cache-usage-windows.ts). */
import { describe, expect, it } from 'vitest';
import { groupUsage, nodeUsage } from '../../../main/caches/cache-usage-windows.js';
import type { CacheRedirectSample, CacheUsageSample } from '../../../main/metadata/caches.js';

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
  ...counters,
});
/** A sample of the redirects `replica` counted since it started. */
const redirects = (replica: string, agoMs: number, count: number): CacheRedirectSample => ({
  at: NOW - agoMs,
  replica,
  redirects: count,
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
        sample(0, { hits: 30, misses: 10, servedBytes: 700, upstreamBytes: 90, evictions: 2 }),
        sample(2 * H, { hits: 10, misses: 5, servedBytes: 100, upstreamBytes: 50, blobs: 1 }),
        sample(30 * 60_000, { hits: 20, misses: 5, servedBytes: 300, upstreamBytes: 50 }),
      ].map((s, i) => (i === 0 ? { ...s, blobs: 4, storeBytes: 400, maxBytes: 1000 } : s)),
      NOW,
      [redirects('r1', 2 * H, 15), redirects('r1', 0, 40), redirects('r1', 30 * 60_000, 25)],
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

describe('nodeUsage with the redirect series of several replicas', () => {
  it("sums the differences within each replica's series, whichever order their samples alternate in", () => {
    // Two replicas behind a balancer: samples alternate, and neither count is the node's.
    const usage = nodeUsage([], NOW, [
      redirects('r1', 3 * H + 120_000, 100),
      redirects('r2', 3 * H + 60_000, 7),
      redirects('r1', 50 * 60_000, 130),
      redirects('r2', 40 * 60_000, 9),
      redirects('r1', 30 * 60_000, 131),
      redirects('r2', 0, 20),
    ]);
    expect(usage.lastHour.redirects).toBe(30 + 2 + 1 + 11);
    // Each replica's first sample counts from 0: 100 + 7 before the hour.
    expect(usage.lastDay.redirects).toBe(107 + 44);
    expect(usage.hourly[20]!.redirects).toBe(107);
    expect(usage.hourly[23]!.redirects).toBe(44);
  });

  it('counts from 0 after one replica restarted (a new series, or a count that went down), the other unchanged', () => {
    const usage = nodeUsage([], NOW, [
      redirects('r1', 2 * H, 50),
      redirects('r2', 2 * H, 60),
      redirects('r1', 50 * 60_000, 70),
      // r2 restarted under a new id: r3 counts from 0.
      redirects('r3', 40 * 60_000, 5),
      redirects('r1', 20 * 60_000, 3),
      redirects('r3', 0, 8),
    ]);
    // r1: +20, then it went down to 3 (counted from 0): +3; r3: +5 (its first), +3.
    expect(usage.lastHour.redirects).toBe(20 + 3 + 5 + 3);
    expect(usage.lastDay.redirects).toBe(110 + 31);
    // One replica's series is the same as before: no effect of the others.
    expect(nodeUsage([], NOW, [redirects('r1', 2 * H, 50), redirects('r1', 0, 70)]).lastHour.redirects).toBe(20);
  });

  it('adds the redirects to the edge counters of the same hours', () => {
    const usage = nodeUsage([sample(2 * H, { hits: 1 }), sample(0, { hits: 4 })], NOW, [
      redirects('r1', 2 * H, 1),
      redirects('r1', 0, 6),
    ]);
    expect(usage.lastHour).toEqual({ ...nothing, hits: 3, redirects: 5, hitRatio: 1 });
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
