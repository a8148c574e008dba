/**
 * When the upstream fails during a miss (DESIGN 3.4): every client attached to the download
 * gets a broken transfer, never a short or wrong body that looks complete; nothing is stored;
 * and the next request starts afresh. Errors before the body map to the OCI envelope.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startFakeUpstream, type FakeBlob, type FakeUpstream } from '../helpers/fake-upstream.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError } from '../helpers/registry-http.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = 'team/app';

let main: TestMain;
let upstream: FakeUpstream;
let edge: TestEdge;
beforeAll(async () => {
  main = await startTestMain();
  upstream = await startFakeUpstream(() => main.service.keys.jwks());
  edge = await startTestEdge({
    name: 'eu',
    upstream: upstream.url,
    issuer: main.url,
    flags: { jwksUrl: `${upstream.url}/auth/jwks.json` },
    // The upstream's failures are what these tests are about: no fallback to main behind it
    // (edge-chain-fallback.test.ts is about that).
    env: { OUTPOST_EDGE_FALLBACK_TO_MAIN: 'false' },
  });
});
afterAll(async () => {
  await edge?.stop();
  await upstream?.stop();
  await main?.stop();
});

async function urlFor(digest: string): Promise<string> {
  return edgeBlobUrl(
    edge.url,
    REPO,
    digest,
    await signRedirectToken(main, { repository: REPO, digest, audience: ['eu'] }),
  );
}

const blobFile = (digest: string) => join(edge.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
const tmpFiles = () => readdir(join(edge.dataDir, 'tmp'));

/** Nothing of `blob` is kept: not indexed, no file in the store, no temporary file left. */
async function expectNothingStored(blob: Blob): Promise<void> {
  expect(edge.service.cache.has(blob.digest as never)).toBe(false);
  expect(edge.service.index.get(blob.digest as never)).toBeUndefined();
  await expect(access(blobFile(blob.digest))).rejects.toMatchObject({ code: 'ENOENT' });
  await waitFor(async () => (await tmpFiles()).length === 0, 'temporary files to be removed');
}

/**
 * Starts `clients` GETs (whole, and a range) of a blob the upstream serves with `behaviour`,
 * pausing the upstream until all are attached, then lets it go on and reads every body.
 */
async function attachAndRelease(blob: Blob, behaviour: Omit<FakeBlob, 'pauseAfter'>, clients = 5) {
  const pause = upstream.serve(REPO, blob.digest, { ...behaviour, pauseAfter: Math.floor(blob.size / 2) });
  const url = await urlFor(blob.digest);
  const responses = await Promise.all([
    ...Array.from({ length: clients }, () => fetch(url)),
    fetch(url, { headers: { Range: 'bytes=0-99' } }),
  ]);
  await pause.reached;
  for (const res of responses.slice(0, clients)) expect(res.status).toBe(200);
  expect(responses[clients]!.status).toBe(206);
  pause.release();
  return { bodies: await Promise.all(responses.map(readBody)), url };
}

describe('an upstream that aborts mid-body', () => {
  it('leaves every attached client, ranges included, with a broken transfer and stores nothing', async () => {
    const blob = randomBlob(256 * 1024);
    const { bodies } = await attachAndRelease(blob, { bytes: blob.bytes, abortAfter: 200 * 1024 });
    for (const body of bodies) {
      expect(body.error).toBeDefined();
      expect(body.bytes.equals(blob.bytes)).toBe(false);
    }
    expect(bodies[0]!.bytes.byteLength).toBeLessThan(blob.size);
    await expectNothingStored(blob);
  });

  it('does not stop the next request from fetching the blob afresh and caching it', async () => {
    const blob = randomBlob(64 * 1024);
    const { url } = await attachAndRelease(blob, { bytes: blob.bytes, abortAfter: 40 * 1024 }, 2);
    expect(upstream.count('GET', blob.digest)).toBe(1);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes });
    const retry = await fetch(url);
    expect(retry.status).toBe(200);
    expect((await readBody(retry)).bytes.equals(blob.bytes)).toBe(true);
    expect(upstream.count('GET', blob.digest)).toBe(2);
    expect(edge.service.cache.has(blob.digest as never)).toBe(true);
  });
});

describe('an upstream that serves the wrong bytes', () => {
  it('is caught by the digest check: every client gets a broken transfer, never a complete wrong body', async () => {
    const blob = randomBlob(128 * 1024);
    const wrong = randomBlob(blob.size).bytes;
    const failuresBefore = await readMetric(edge.url, 'outpost_edge_upstream_fetches_total{outcome="error"}');
    const { bodies } = await attachAndRelease(blob, { bytes: wrong });
    for (const body of bodies) {
      expect(body.error).toBeDefined();
      expect(body.bytes.byteLength).toBeLessThan(body === bodies.at(-1) ? 100 : blob.size);
    }
    await expectNothingStored(blob);
    expect(await readMetric(edge.url, 'outpost_edge_upstream_fetches_total{outcome="error"}')).toBe(failuresBefore + 1);
  });

  it('is caught when the upstream announces another length, too', async () => {
    const blob = randomBlob(4096);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes.subarray(0, 4000) });
    const body = await readBody(await fetch(await urlFor(blob.digest)));
    expect(body.error).toBeDefined();
    expect(body.bytes.byteLength).toBeLessThan(4000);
    await expectNothingStored(blob);
  });

  it('lets the next request succeed once the upstream serves the right bytes', async () => {
    const blob = randomBlob(32 * 1024);
    upstream.serve(REPO, blob.digest, { bytes: randomBlob(blob.size).bytes });
    const url = await urlFor(blob.digest);
    expect((await readBody(await fetch(url))).error).toBeDefined();
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes });
    const retry = await readBody(await fetch(url));
    expect(retry.error).toBeUndefined();
    expect(retry.bytes.equals(blob.bytes)).toBe(true);
    expect(edge.service.cache.has(blob.digest as never)).toBe(true);
  });
});

describe('an upstream that answers with an error before the body', () => {
  it('answers 503 UNAVAILABLE after one retry when the upstream keeps failing with 5xx', async () => {
    const blob = randomBlob(100);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes, status: 500 });
    await expectOciError(await fetch(await urlFor(blob.digest)), 503, 'UNAVAILABLE');
    expect(upstream.count('GET', blob.digest)).toBe(2);
    await expectNothingStored(blob);
  });

  it('answers 403 DENIED when the upstream refuses the token', async () => {
    for (const status of [401, 403]) {
      const blob = randomBlob(100);
      upstream.serve(REPO, blob.digest, { bytes: blob.bytes, status });
      await expectOciError(await fetch(await urlFor(blob.digest)), 403, 'DENIED');
      expect(upstream.count('GET', blob.digest)).toBe(1);
    }
  });

  it('answers 503 UNAVAILABLE when the upstream sends no Content-Length', async () => {
    const blob = randomBlob(100);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes, omitLength: true });
    await expectOciError(await fetch(await urlFor(blob.digest)), 503, 'UNAVAILABLE');
    await expectNothingStored(blob);
  });

  it('passes the redirect token on to the upstream as Bearer, with the edge named in X-Outpost-Cache', async () => {
    const blob = randomBlob(100);
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes });
    const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
    await readBody(await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token)));
    const sent = upstream.requests.find((r) => r.method === 'GET' && r.path.endsWith(blob.digest));
    expect(sent?.authorization).toBe(`Bearer ${token}`);
    expect(sent?.headers['x-outpost-cache']).toBe('eu');
  });
});
