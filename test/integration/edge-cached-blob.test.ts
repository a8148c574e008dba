/**
 * What the edge's blob cache hands its senders (edge/cache/cached-blob.ts): one tagged union,
 * memory bytes, an open file or a download in flight; a blob counted as read from the moment it
 * is opened; and room for a miss reserved before any await, so that two misses deciding at once
 * neither count the same free bytes nor evict for each other. A real main and a real edge; the
 * cache is driven through its own interface, as the blob route drives it.
 */
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import type { CachedBlob } from '../../edge/cache/cached-blob.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { pushBlob } from '../helpers/registry-http.js';

const REPO = 'team/app';
const MiB = 1 << 20;
const MINUTE = 60_000;

let main: TestMain;
let clock = 0;
const start = Date.now();
const now = () => start + clock;
const edges: TestEdge[] = [];

beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  for (const edge of edges) await edge.stop();
  await main?.stop();
});

async function startEdge(env: Record<string, string> = {}): Promise<TestEdge> {
  const edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, env, now });
  edges.push(edge);
  return edge;
}

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

/** Opens `blob` on the edge's cache as the blob route does, a minute later on the edge's clock. */
async function open(edge: TestEdge, blob: Blob): Promise<CachedBlob> {
  clock += MINUTE;
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'], now: now() });
  return edge.service.cache.open(REPO, blob.digest as Digest, token);
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The whole body of an opened blob, read the way its kind is sent; the blob is closed after. */
async function body(blob: CachedBlob): Promise<Buffer> {
  try {
    if (blob.kind === 'memory') return blob.bytes;
    if (blob.kind === 'file') return await blob.file.readFile();
    return await drain(blob.stream());
  } finally {
    await blob.close();
  }
}

/** Pulls `blob` into the cache and waits until it is committed. */
async function cache(edge: TestEdge, blob: Blob): Promise<void> {
  expect((await body(await open(edge, blob))).equals(blob.bytes)).toBe(true);
  await edge.service.cache.settled();
}

const cached = (edge: TestEdge, blobs: Blob[]) => blobs.map((b) => edge.service.cache.has(b.digest as Digest));
const spaceEvictions = (edge: TestEdge) => readMetric(edge.url, 'outpost_edge_evictions_total{reason="space"}');

describe('BlobCache.open: one shape for every kind of cached blob', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startEdge();
  });

  it('is a download on a miss, joined by a second client as coalesced, and both get every byte', async () => {
    const blob = await pushed(3 * MiB);
    const [first, second] = await Promise.all([open(edge, blob), open(edge, blob)]);
    expect([first.kind, second.kind]).toEqual(['download', 'download']);
    expect([first.result, second.result].sort()).toEqual(['coalesced', 'miss']);
    expect(first.size).toBe(blob.size);
    const [a, b] = await Promise.all([body(first), body(second)]);
    expect(a.equals(blob.bytes) && b.equals(blob.bytes)).toBe(true);
  });

  it('is the open file for a hit larger than the memory cache takes', async () => {
    const blob = await pushed(2 * MiB);
    await cache(edge, blob);
    const hit = await open(edge, blob);
    expect(hit).toMatchObject({ kind: 'file', result: 'hit', size: blob.size });
    expect((await body(hit)).equals(blob.bytes)).toBe(true);
  });

  it('is the bytes in memory for a small hit, from its first hit on', async () => {
    const blob = await pushed(1000);
    await cache(edge, blob);
    for (let i = 0; i < 2; i++) {
      const hit = await open(edge, blob);
      expect(hit).toMatchObject({ kind: 'memory', result: 'hit', size: 1000 });
      expect((await body(hit)).equals(blob.bytes)).toBe(true);
    }
  });

  it('counts a reader from open until close, whatever the kind, and not before or after', async () => {
    const [small, large, cold] = [await pushed(1000), await pushed(2 * MiB), await pushed(MiB)];
    await cache(edge, small);
    await cache(edge, large);
    const readers = (b: Blob) => edge.service.cache.readersOf(b.digest as Digest);
    const opened = [await open(edge, large), await open(edge, cold)];
    expect(opened.map((b) => b.kind)).toEqual(['file', 'download']);
    expect([readers(large), readers(cold)]).toEqual([1, 1]);
    for (const blob of opened) await blob.close();
    expect([readers(large), readers(cold)]).toEqual([0, 0]);
    // A blob held in memory is not read from disk: there is no file to keep.
    await (await open(edge, small)).close();
    expect(readers(small)).toBe(0);
  });
});

describe('eviction and the readers of a blob', () => {
  // 100 kB budget: past 90 kB, free down to 50 kB. Blobs of 20 kB, always on disk.
  const budget = {
    OUTPOST_EDGE_MAX_BYTES: '100000',
    OUTPOST_EDGE_LOW_WATERMARK: '0.5',
    OUTPOST_EDGE_MEMORY_CACHE_BYTES: '0',
  };

  it('leaves a blob opened but not yet sent alone, and evicts it once it is closed', async () => {
    const edge = await startEdge(budget);
    const [a, b, c, d] = [await pushed(20_000), await pushed(20_000), await pushed(20_000), await pushed(20_000)];
    for (const blob of [a, b, c, d]) await cache(edge, blob);
    // Opened as the route does before planning its answer: from here on it is read, although
    // not one byte of it was sent yet.
    const held = await open(edge, a);
    expect(held.kind).toBe('file');
    // 80 kB + 70 kB passes 90 kB: 100 kB should go, every blob there is; all but the read one do.
    const first = await edge.service.cache.reserve(70_000);
    expect(first?.bytes).toBe(70_000);
    expect(cached(edge, [a, b, c, d])).toEqual([true, false, false, false]);
    first?.release();

    await held.close();
    expect(edge.service.cache.readersOf(a.digest as Digest)).toBe(0);
    // 20 kB + 90 kB passes 90 kB: now the closed blob goes for it.
    const second = await edge.service.cache.reserve(90_000);
    expect(second?.bytes).toBe(90_000);
    expect(cached(edge, [a])).toEqual([false]);
    second?.release();
  });

  it('makes two misses deciding at once evict once, for both: neither counts the other’s room as free', async () => {
    const edge = await startEdge(budget);
    const [a, b, c, d] = [await pushed(20_000), await pushed(20_000), await pushed(20_000), await pushed(20_000)];
    for (const blob of [a, b, c, d]) await cache(edge, blob);
    const before = await spaceEvictions(edge);

    // 80 kB held. The first 20 kB pass 90 kB, so usage must come down to 50 kB: a, b and c go,
    // which makes room for the second too. Both decide in the same tick, before any await.
    const both = [edge.service.cache.reserve(20_000), edge.service.cache.reserve(20_000)];
    const [first, second] = await Promise.all(both);
    expect([first, second].map((r) => r?.bytes)).toEqual([20_000, 20_000]);
    expect(await spaceEvictions(edge)).toBe(before + 3);
    expect(cached(edge, [a, b, c, d])).toEqual([false, false, false, true]);
    expect(edge.service.index.bytes).toBe(20_000);
    first?.release();
    second?.release();
  });

  it('refuses a reservation that cannot fit without evicting anything for it', async () => {
    const edge = await startEdge(budget);
    const [a, b] = [await pushed(20_000), await pushed(20_000)];
    for (const blob of [a, b]) await cache(edge, blob);
    const held = [await open(edge, a), await open(edge, b)];
    const before = await spaceEvictions(edge);
    // 40 kB being read + 60 kB would pass 90 kB, and nothing else can go.
    expect(await edge.service.cache.reserve(60_000)).toBeUndefined();
    expect(await spaceEvictions(edge)).toBe(before);
    expect(cached(edge, [a, b])).toEqual([true, true]);
    for (const blob of held) await blob.close();
  });

  it('keeps two concurrent misses that both fit under the high watermark', async () => {
    const edge = await startEdge(budget);
    const old = [await pushed(20_000), await pushed(20_000), await pushed(20_000), await pushed(20_000)];
    for (const blob of old) await cache(edge, blob);
    const fresh = [await pushed(20_000), await pushed(20_000)];
    await Promise.all(fresh.map((blob) => cache(edge, blob)));
    expect(cached(edge, fresh)).toEqual([true, true]);
    expect(edge.service.index.bytes).toBeLessThanOrEqual(90_000);
  });
});
