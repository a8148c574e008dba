/**
 * An edge started while main is unreachable and with no keys cached (issue 11, section 3): it
 * starts anyway, reports itself unavailable on /health, and answers redirect tokens with 503
 * UNAVAILABLE (it cannot verify them, so it neither serves nor refuses them). It keeps fetching
 * main's keys and retrying its registration with backoff, and serves as soon as main is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = 'team/app';
const DAY = 24 * 3_600_000;

let mainData: TempDir;
let main: TestMain | undefined;
let mainUrl: string;
let edge: TestEdge;
let blob: Blob;
let blobUrl: string;
let logs = '';

beforeAll(async () => {
  mainData = await createTempDir('outpost-main-');
  main = await startTestMain({ dataDir: mainData.path });
  mainUrl = main.url;
  const joinToken = (await main.service.caches.joinTokens.create(DAY)).token;
  blob = randomBlob(300_000);
  await pushBlob(main.url, REPO, blob);
  // Signed now with main's key; the edge learns that key only once main is back.
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
  await main.stop();
  main = undefined;

  edge = await startTestEdge({
    name: 'eu',
    upstream: mainUrl,
    issuer: mainUrl,
    flags: { joinToken },
    logger: createLogger({ level: 'debug', write: (line) => void (logs += line) }),
  });
  blobUrl = edgeBlobUrl(edge.url, REPO, blob.digest, token);
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
  await main?.backend.remove();
  await mainData?.remove();
});

const health = async () => {
  const res = await fetch(`${edge.url}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('an edge started while main is down, with no keys cached', () => {
  it('is up, and reports itself unavailable on /health (503) with the reason under keys', async () => {
    const { status, body } = await health();
    expect(status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.keys).toMatchObject({ source: 'url', keys: 0, lastError: expect.stringMatching(/./) });
    expect(body.upstream).toEqual({ url: mainUrl, reachable: false });
    expect(logs).toMatch(/"level":"warn","msg":"no signing keys: none cached and main unreachable/);
  });

  it('answers a blob request with 503 UNAVAILABLE and Retry-After, not a refusal, and keeps nothing', async () => {
    const denied = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="denied"}');
    const errors = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="error"}');
    const res = await fetch(blobUrl);
    expect(res.headers.get('retry-after')).toBe('5');
    const error = await expectOciError(res, 503, 'UNAVAILABLE');
    expect(error.message).toMatch(/signing keys/);
    // A token it could never accept is not refused either: the edge cannot tell yet.
    await expectOciError(await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, 'not.a.token')), 503, 'UNAVAILABLE');
    expect(edge.service.cache.has(blob.digest as never)).toBe(false);
    // The edge's failure, not a refusal of the client.
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="error"}')).toBe(errors + 2);
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="denied"}')).toBe(denied);
  });

  it('becomes healthy once main is back, registers, and serves the blob it fetches from main', async () => {
    main = await startTestMain({ dataDir: mainData.path, listen: new URL(mainUrl).host });
    expect(main.url).toBe(mainUrl);
    await waitFor(async () => (await health()).status === 200, 'the edge to become healthy', 45_000);
    expect(logs).toMatch(/"level":"info","msg":"signing keys received: verifying redirect tokens"/);

    const pulled = await readBody(await fetch(blobUrl));
    expect(pulled.error).toBeUndefined();
    expect(pulled.bytes.equals(blob.bytes)).toBe(true);
    expect(edge.service.cache.has(blob.digest as never)).toBe(true);

    expect(await edge.service.joined).toBe('joined');
    expect(await main.service.caches.caches.get('eu')).toMatchObject({ host: edge.url });
  });
});
