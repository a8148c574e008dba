/**
 * Main (the upstream) goes away (DESIGN 3.4): cached blobs keep being served, misses answer
 * 503 UNAVAILABLE at once instead of hanging, and /health stays 200 while it reports the
 * upstream unreachable, since the edge can still do half its job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;
let cached: Blob;
let cold: Blob;
let cachedUrl: string;
let coldUrl: string;

beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  cached = randomBlob(2 * 1024 * 1024);
  cold = randomBlob(1000);
  await pushBlob(main.url, REPO, cached);
  await pushBlob(main.url, REPO, cold);
  const sign = async (b: Blob) =>
    edgeBlobUrl(
      edge.url,
      REPO,
      b.digest,
      await signRedirectToken(main, { repository: REPO, digest: b.digest, audience: ['eu'] }),
    );
  cachedUrl = await sign(cached);
  coldUrl = await sign(cold);
  expect(Buffer.from(await (await fetch(cachedUrl)).arrayBuffer()).equals(cached.bytes)).toBe(true);
  // Tokens stay valid: main's key signed them before it went away.
  await main.stop();
});
afterAll(async () => {
  await edge?.stop();
});

describe('with main down', () => {
  it('still serves cached blobs, whole and in ranges', async () => {
    const whole = await fetch(cachedUrl);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(cached.bytes)).toBe(true);
    const ranged = await fetch(cachedUrl, { headers: { Range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(cached.bytes.subarray(10, 20))).toBe(true);
  });

  it('answers a miss with 503 UNAVAILABLE and counts it as an error', async () => {
    const before = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="error"}');
    await expectOciError(await fetch(coldUrl), 503, 'UNAVAILABLE');
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="error"}')).toBe(before + 1);
    expect(edge.service.cache.has(cold.digest as never)).toBe(false);
  });

  it('answers HEAD of a blob it does not have with 503 too, and HEAD of a cached one with 200', async () => {
    expect((await fetch(coldUrl, { method: 'HEAD' })).status).toBe(503);
    const head = await fetch(cachedUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(cached.size));
  });

  it('keeps /health at 200 while reporting the upstream unreachable', async () => {
    const res = await fetch(`${edge.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.upstream).toEqual({ url: main.url, reachable: false });
    expect(body.store).toMatchObject({ blobs: 1, bytes: cached.size });
    expect(body.keys).toMatchObject({ source: 'url', keys: 1 });
  });

  it('keeps answering GET /v2/ with 200', async () => {
    expect((await fetch(`${edge.url}/v2/`)).status).toBe(200);
  });
});
