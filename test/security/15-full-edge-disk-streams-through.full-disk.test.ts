/**
 * Issue 9, item 15: a full edge disk failed every miss instead of streaming it through, and
 * /health still said ok.
 *
 * What holds now: a store write that fails during a miss (here ENOSPC, from a 1 MiB tmpfs as the
 * edge's data directory) degrades that download to stream-through. Every client attached to it
 * gets all of its bytes, verified (a wrong body is still cut off), nothing is kept, the temporary
 * file is removed, and /health answers `degraded` with a reason (plus a metric) until a later
 * miss is kept again.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = 'team/app';

let main: TestMain;
let upstream: FakeUpstream;
let edge: TestEdge;
let disk: SmallDisk;
let mountPoint: string;

beforeAll(async () => {
  disk = await mountSmallDisk('outpost-full-disk-', '1m');
  mountPoint = disk.path;
  main = await startTestMain();
  upstream = await startFakeUpstream(() => main.service.keys.jwks());
  const flags = { jwksUrl: `${upstream.url}/auth/jwks.json` };
  edge = await startTestEdge({ name: 'eu', upstream: upstream.url, issuer: main.url, dataDir: mountPoint, flags });
});
afterAll(async () => {
  await edge?.stop().catch(() => {});
  await upstream?.stop();
  await main?.stop();
  await disk?.remove();
});

async function urlFor(digest: string): Promise<string> {
  const token = await signRedirectToken(main, { repository: REPO, digest, audience: ['eu'] });
  return edgeBlobUrl(edge.url, REPO, digest, token);
}

interface Health {
  status: string;
  reason?: string;
  store: { degraded?: { code: string; reason: string } };
}
const health = async (): Promise<{ code: number; body: Health }> => {
  const res = await fetch(`${edge.url}/health`);
  return { code: res.status, body: (await res.json()) as Health };
};
const tempFiles = () => readdir(join(mountPoint, 'tmp'));

describe('a miss larger than the free disk space', () => {
  it('is streamed through to every client attached to it, complete and verified, and nothing is kept', async () => {
    // Larger than the in-memory window of a degraded download (4 MiB): the slowest reader sets the pace.
    const blob = randomBlob(9 * 1024 * 1024);
    // Paused early, so that all three clients are attached before the disk fills up.
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 64 * 1024 });
    const url = await urlFor(blob.digest);
    const ranges = [
      [8_000_000, 8_099_999],
      // Ends early: waiting for the verification with its last byte must not hold the download.
      [1_100_000, 1_199_999],
    ] as const;
    const ranged = ranges.map(([a, b]) => fetch(url, { headers: { Range: `bytes=${a}-${b}` } }));
    const responses = await Promise.all([fetch(url), fetch(url), ...ranged]);
    await pause.reached;
    pause.release();
    const [first, second, ...rangedBodies] = await Promise.all(responses.map(readBody));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 206, 206]);
    for (const body of [first!, second!]) {
      expect(body.error).toBeUndefined();
      expect(body.bytes.equals(blob.bytes)).toBe(true);
    }
    ranges.forEach(([a, b], i) => {
      expect(rangedBodies[i]!.error).toBeUndefined();
      expect(rangedBodies[i]!.bytes.equals(blob.bytes.subarray(a, b + 1))).toBe(true);
    });
    expect(upstream.count('GET', blob.digest)).toBe(1);
    expect(edge.service.cache.has(blob.digest as never)).toBe(false);
    await waitFor(async () => (await tempFiles()).length === 0, 'the temporary file to be removed');
  });

  it('makes /health answer 200 "degraded" with the reason, and the degraded-store metric 1', async () => {
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.reason).toMatch(/ENOSPC/);
    expect(body.store.degraded).toMatchObject({ code: 'ENOSPC' });
    expect(await readMetric(edge.url, 'outpost_edge_store_degraded')).toBe(1);
    const failures = await readMetric(edge.url, 'outpost_edge_store_write_failures_total{code="ENOSPC"}');
    expect(failures).toBeGreaterThanOrEqual(1);
  });

  it('still cuts the connection when the streamed-through bytes do not match the digest', async () => {
    const blob = randomBlob(2 * 1024 * 1024);
    const wrong = Buffer.from(blob.bytes);
    wrong[wrong.length - 10] = wrong[wrong.length - 10]! ^ 0xff;
    upstream.serve(REPO, blob.digest, { bytes: wrong });
    const res = await fetch(await urlFor(blob.digest));
    expect(res.status).toBe(200);
    const body = await readBody(res);
    expect(body.error).toBeDefined();
    expect(body.bytes.length).toBeLessThan(blob.size);
    expect(edge.service.cache.has(blob.digest as never)).toBe(false);
    await waitFor(async () => (await tempFiles()).length === 0, 'the temporary file to be removed');
  });

  it('is healthy again once a miss is kept (space was freed)', async () => {
    const blob = randomBlob(100 * 1024);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes });
    const body = await readBody(await fetch(await urlFor(blob.digest)));
    expect(body.error).toBeUndefined();
    expect(body.bytes.equals(blob.bytes)).toBe(true);
    // Committed (and the store found healthy) after the client had every byte.
    await edge.service.cache.settled();
    expect(edge.service.cache.has(blob.digest as never)).toBe(true);
    const { code, body: report } = await health();
    expect(code).toBe(200);
    expect(report.status).toBe('ok');
    expect(report.store.degraded).toBeUndefined();
    expect(await readMetric(edge.url, 'outpost_edge_store_degraded')).toBe(0);
  });
});
