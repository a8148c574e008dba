/**
 * Caches chain (DESIGN 3.3): asia pulls through eu, eu through main. Main's redirect token names
 * the whole chain in `aud` (nearest first), and each edge passes it up as Bearer, so one token
 * fills every cache on the way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

const REPO = 'team/app';

let main: TestMain;
let eu: TestEdge;
let asia: TestEdge;
beforeAll(async () => {
  main = await startTestMain();
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  asia = await startTestEdge({ name: 'asia', upstream: eu.url, issuer: main.url });
});
afterAll(async () => {
  await asia?.stop();
  await eu?.stop();
  await main?.stop();
});

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

const chainToken = (blob: Blob, audience = ['asia', 'eu']) =>
  signRedirectToken(main, { repository: REPO, digest: blob.digest, audience });
const result = (edge: TestEdge, name: string) =>
  readMetric(edge.url, `outpost_edge_blob_requests_total{result="${name}"}`);

describe('a chain asia -> eu -> main', () => {
  it('fills both caches on the first pull and serves later pulls from asia alone', async () => {
    const blob = await pushed(3 * 1024 * 1024);
    const url = edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob));
    const euMisses = await result(eu, 'miss');

    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(Buffer.from(await first.arrayBuffer()).equals(blob.bytes)).toBe(true);
    expect(asia.service.cache.has(blob.digest as never)).toBe(true);
    expect(eu.service.cache.has(blob.digest as never)).toBe(true);
    expect(await result(eu, 'miss')).toBe(euMisses + 1);

    const euRequests = (await result(eu, 'hit')) + (await result(eu, 'miss'));
    const second = await fetch(url);
    expect(Buffer.from(await second.arrayBuffer()).equals(blob.bytes)).toBe(true);
    expect((await result(eu, 'hit')) + (await result(eu, 'miss'))).toBe(euRequests);
  });

  it('asks eu once for many concurrent clients of asia', async () => {
    const blob = await pushed(1024 * 1024);
    const url = edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob));
    const euRequests = async () =>
      (await result(eu, 'hit')) + (await result(eu, 'miss')) + (await result(eu, 'coalesced'));
    const before = await euRequests();
    const bodies = await Promise.all(Array.from({ length: 20 }, async () => readBody(await fetch(url))));
    for (const body of bodies) expect(body.bytes.equals(blob.bytes)).toBe(true);
    expect(await euRequests()).toBe(before + 1);
  });

  it('serves a blob eu already has to asia without going to main', async () => {
    const blob = await pushed(2000);
    await (await fetch(edgeBlobUrl(eu.url, REPO, blob.digest, await chainToken(blob, ['eu'])))).arrayBuffer();
    const euHits = await result(eu, 'hit');
    const res = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob)));
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    expect(await result(eu, 'hit')).toBe(euHits + 1);
  });

  it('answers HEAD on a miss through the chain without filling either cache', async () => {
    const blob = await pushed(5000);
    const res = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob)), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('5000');
    expect([asia.service.cache.has(blob.digest as never), eu.service.cache.has(blob.digest as never)]).toEqual([
      false,
      false,
    ]);
  });

  it('answers a Range on a chained miss with 206 and fills both caches with the whole blob', async () => {
    const blob = await pushed(100_000);
    const res = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob)), {
      headers: { Range: 'bytes=500-1499' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 500-1499/100000');
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes.subarray(500, 1500))).toBe(true);
    expect([asia.service.cache.has(blob.digest as never), eu.service.cache.has(blob.digest as never)]).toEqual([
      true,
      true,
    ]);
  });

  it('answers 403 DENIED when the token does not name the cache above (eu refuses it)', async () => {
    const blob = await pushed(100);
    const res = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await chainToken(blob, ['asia'])));
    await expectOciError(res, 403, 'DENIED');
    expect(asia.service.cache.has(blob.digest as never)).toBe(false);
  });
});

describe('a chain in front of a main that requires authentication', () => {
  let authMain: TestMain;
  let authEu: TestEdge;
  let authAsia: TestEdge;
  beforeAll(async () => {
    authMain = await startTestMain({ auth: true });
    authEu = await startTestEdge({ name: 'eu', upstream: authMain.url, issuer: authMain.url });
    authAsia = await startTestEdge({ name: 'asia', upstream: authEu.url, issuer: authMain.url });
  });
  afterAll(async () => {
    await authAsia?.stop();
    await authEu?.stop();
    await authMain?.stop();
  });

  it("fetches the miss from main with the user's redirect token, which main accepts for that blob", async () => {
    const blob = randomBlob(70_000);
    const res = await fetch(`${authMain.url}/v2/${REPO}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      body: blob.bytes,
      headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) },
    });
    expect(res.status).toBe(201);
    // Main checks the token's user is still active: the bootstrap admin is.
    const token = await signRedirectToken(authMain, {
      repository: REPO,
      digest: blob.digest,
      audience: ['asia', 'eu'],
      subject: 'admin',
    });
    const pulled = await readBody(await fetch(edgeBlobUrl(authAsia.url, REPO, blob.digest, token)));
    expect(pulled.error).toBeUndefined();
    expect(pulled.bytes.equals(blob.bytes)).toBe(true);
    expect([authAsia.service.cache.has(blob.digest as never), authEu.service.cache.has(blob.digest as never)]).toEqual([
      true,
      true,
    ]);
  });
});
