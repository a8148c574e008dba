/**
 * Keeping the edge's disk in budget (DESIGN 3.4): past the high watermark, least recently used
 * blobs go first, down to the low watermark; an optional time-to-live since last access; pinned
 * blobs and blobs being read are never removed; a blob larger than the budget is streamed
 * through and not kept. Time is the edge's injected clock.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { pushBlob } from '../helpers/registry-http.js';
import { waitFor } from '../helpers/wait-for.js';

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

async function startEdge(env: Record<string, string>): Promise<TestEdge> {
  const edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, env, now });
  edges.push(edge);
  return edge;
}

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

async function pull(edge: TestEdge, blob: Blob): Promise<Response> {
  // Signed on the edge's clock, so that moving it hours on does not expire the tokens.
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'], now: now() });
  return fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token));
}

/**
 * Pulls `blob` at the current clock and checks the bytes; then waits for the store to settle
 * (a client gets its last byte before the blob is committed and indexed).
 */
async function read(edge: TestEdge, blob: Blob): Promise<void> {
  const body = await readBody(await pull(edge, blob));
  expect(body.error).toBeUndefined();
  expect(body.bytes.equals(blob.bytes)).toBe(true);
  await edge.service.cache.settled();
}

const cached = (edge: TestEdge, blobs: Blob[]) => blobs.map((b) => edge.service.cache.has(b.digest as Digest));
const onDisk = (edge: TestEdge, blob: Blob) =>
  access(join(edge.dataDir, 'blobs', 'sha256', blob.digest.slice(7, 9), blob.digest.slice(7))).then(
    () => true,
    () => false,
  );
const misses = (edge: TestEdge) => readMetric(edge.url, 'outpost_edge_blob_requests_total{result="miss"}');

describe('eviction by space, least recently used first', () => {
  // 100 kB budget: past 90 kB, free down to 50 kB. Blobs of 20 kB.
  let edge: TestEdge;
  let blobs: Blob[];
  beforeAll(async () => {
    edge = await startEdge({ OUTPOST_EDGE_MAX_BYTES: '100000', OUTPOST_EDGE_LOW_WATERMARK: '0.5' });
    blobs = [];
    for (let i = 0; i < 5; i++) blobs.push(await pushed(20_000));
  });

  it('removes the blobs read longest ago, not the ones stored first, until usage is at the low watermark', async () => {
    const [a, b, c, d, e] = blobs as [Blob, Blob, Blob, Blob, Blob];
    for (const blob of [a, b, c, d]) {
      clock += MINUTE;
      await read(edge, blob);
    }
    // a was stored first but is read again last: b, c and d are now the least recently used.
    clock += MINUTE;
    await read(edge, a);
    expect(edge.service.index.bytes).toBe(80_000);
    const before = await readMetric(edge.url, 'outpost_edge_evictions_total{reason="space"}');

    clock += MINUTE;
    await read(edge, e);
    expect(cached(edge, [a, b, c, d, e])).toEqual([true, false, false, false, true]);
    expect(edge.service.index.bytes).toBe(40_000);
    expect(await readMetric(edge.url, 'outpost_edge_evictions_total{reason="space"}')).toBe(before + 3);
    expect([await onDisk(edge, b), await onDisk(edge, a)]).toEqual([false, true]);
  });

  it('fetches an evicted blob from upstream again, even one that was in the memory cache', async () => {
    const b = blobs[1]!;
    const before = await misses(edge);
    clock += MINUTE;
    await read(edge, b);
    expect(await misses(edge)).toBe(before + 1);
    expect(cached(edge, [b])).toEqual([true]);
  });
});

describe('pinned blobs', () => {
  it('are never evicted for space, however long ago they were read', async () => {
    const edge = await startEdge({ OUTPOST_EDGE_MAX_BYTES: '100000', OUTPOST_EDGE_LOW_WATERMARK: '0.5' });
    const [old, b, c, d, e] = [
      await pushed(20_000),
      await pushed(20_000),
      await pushed(20_000),
      await pushed(20_000),
      await pushed(20_000),
    ];
    for (const blob of [old, b, c, d]) {
      clock += MINUTE;
      await read(edge, blob);
    }
    expect(await edge.service.cache.setPinned(old.digest as Digest, true)).toBe(true);
    clock += MINUTE;
    await read(edge, e);
    // Without the pin, `old` would have gone first; b, c and d had to make the room instead.
    expect(cached(edge, [old, b, c, d, e])).toEqual([true, false, false, false, true]);
  });

  it('are never expired by the time-to-live', async () => {
    const edge = await startEdge({ OUTPOST_EDGE_BLOB_TTL: '1h' });
    const [pinned, plain] = [await pushed(1000), await pushed(1000)];
    await read(edge, pinned);
    await read(edge, plain);
    await edge.service.cache.setPinned(pinned.digest as Digest, true);
    clock += 2 * 60 * MINUTE;
    expect(await edge.service.cache.evictExpired()).toBe(1);
    expect(cached(edge, [pinned, plain])).toEqual([true, false]);
  });
});

describe('the time-to-live (blobTtl)', () => {
  it('removes blobs not read within it and keeps those read since', async () => {
    const edge = await startEdge({ OUTPOST_EDGE_BLOB_TTL: '1h' });
    const [stale, fresh, never] = [await pushed(1000), await pushed(2 * MiB), await pushed(1000)];
    await read(edge, stale);
    await read(edge, fresh);
    clock += 40 * MINUTE;
    await read(edge, fresh);
    clock += 30 * MINUTE;
    const before = await readMetric(edge.url, 'outpost_edge_evictions_total{reason="ttl"}');
    expect(await edge.service.cache.evictExpired()).toBe(1);
    expect(cached(edge, [stale, fresh, never])).toEqual([false, true, false]);
    expect(await onDisk(edge, stale)).toBe(false);
    expect(await readMetric(edge.url, 'outpost_edge_evictions_total{reason="ttl"}')).toBe(before + 1);
  });

  it('removes nothing when it is 0 (the default)', async () => {
    const edge = await startEdge({});
    const blob = await pushed(1000);
    await read(edge, blob);
    clock += 1000 * 24 * 60 * MINUTE;
    expect(await edge.service.cache.evictExpired()).toBe(0);
    expect(cached(edge, [blob])).toEqual([true]);
  });
});

describe('a blob larger than the budget', () => {
  it('is streamed through byte for byte but not kept, and nothing else is evicted for it', async () => {
    const edge = await startEdge({ OUTPOST_EDGE_MAX_BYTES: '1MiB' });
    const small = await pushed(1000);
    const big = await pushed(2 * MiB);
    await read(edge, small);
    const fetchesBefore = await readMetric(edge.url, 'outpost_edge_upstream_fetches_total{outcome="ok"}');
    await read(edge, big);
    await read(edge, big);
    expect(cached(edge, [small, big])).toEqual([true, false]);
    expect(edge.service.index.bytes).toBe(1000);
    await waitFor(
      async () =>
        (await readMetric(edge.url, 'outpost_edge_upstream_fetches_total{outcome="ok"}')) === fetchesBefore + 2,
      'both fetches to settle',
    );
  });
});

describe('a blob being read', () => {
  it('is not evicted under its reader, even when it is the one eviction would pick', async () => {
    // 40 MiB budget: past 36 MiB, free down to 20 MiB. The slow reader holds a 16 MiB blob.
    const edge = await startEdge({ OUTPOST_EDGE_MAX_BYTES: '40MiB', OUTPOST_EDGE_LOW_WATERMARK: '0.5' });
    const [held, other, incoming] = [await pushed(16 * MiB), await pushed(8 * MiB), await pushed(16 * MiB)];
    clock += MINUTE;
    await read(edge, held);
    clock += MINUTE;
    await read(edge, other);

    // A client that reads a little and stalls: the file stream stays open on the edge.
    clock += MINUTE;
    const slow = await pull(edge, held);
    const reader = slow.body!.getReader();
    expect((await reader.read()).done).toBe(false);

    // 24 + 16 MiB passes 36 MiB: 20 MiB must go. LRU alone would take `other`, then `held`.
    clock += MINUTE;
    await read(edge, incoming);
    expect(cached(edge, [held, other, incoming])).toEqual([true, false, true]);

    const chunks: Buffer[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      chunks.push(Buffer.from(chunk.value));
    expect(Buffer.concat(chunks).byteLength).toBeGreaterThan(0);
  });
});
