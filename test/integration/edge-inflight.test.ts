/**
 * Requests that arrive while a blob is still coming from upstream (DESIGN 3.4): they attach to
 * the one download in flight, whatever they ask for. The upstream is a fake that pauses
 * mid-body until the test releases it, so "in flight" is a fact of the test, not of timing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
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

const result = (name: string) => readMetric(edge.url, `outpost_edge_blob_requests_total{result="${name}"}`);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('concurrent requests for one cold blob', () => {
  it('make exactly one upstream fetch and give all 200 clients identical, complete bodies', async () => {
    const blob = randomBlob(512 * 1024);
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 200 * 1024 });
    const url = await urlFor(blob.digest);
    const [missesBefore, coalescedBefore] = [await result('miss'), await result('coalesced')];

    // Every response has its headers while the upstream body is still paused half way.
    const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(url)));
    await pause.reached;
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(blob.size));
    }
    pause.release();
    const bodies = await Promise.all(responses.map(readBody));

    const expected = sha256(blob.bytes);
    for (const body of bodies) {
      expect(body.error).toBeUndefined();
      expect(sha256(body.bytes)).toBe(expected);
    }
    expect(upstream.count('GET', blob.digest)).toBe(1);
    expect(await result('miss')).toBe(missesBefore + 1);
    expect(await result('coalesced')).toBe(coalescedBefore + 199);
    expect(edge.service.cache.has(blob.digest as never)).toBe(true);
  });

  it('answer HEAD from the download in flight without asking upstream', async () => {
    const blob = randomBlob(64 * 1024);
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 1000 });
    const url = await urlFor(blob.digest);
    const first = await fetch(url);
    await pause.reached;

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(blob.size));
    expect(head.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(upstream.count('HEAD', blob.digest)).toBe(0);

    pause.release();
    expect((await readBody(first)).bytes.equals(blob.bytes)).toBe(true);
    expect(upstream.count('GET', blob.digest)).toBe(1);
  });
});

describe('Range on a blob being downloaded', () => {
  it('answers a range of bytes that already arrived with 206 and completes it once the blob is verified', async () => {
    const blob = randomBlob(256 * 1024);
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 128 * 1024 });
    const url = await urlFor(blob.digest);
    const whole = await fetch(url);
    await pause.reached;

    const ranged = await fetch(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${blob.size}`);
    expect(ranged.headers.get('content-length')).toBe('1000');
    // The range's bytes are on disk already, yet its last byte waits for the digest check.
    const reader = ranged.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(Buffer.from(first.value!).equals(blob.bytes.subarray(1000, 1000 + first.value!.byteLength))).toBe(true);
    pause.release();
    const rest: Buffer[] = [Buffer.from(first.value!)];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest.push(Buffer.from(chunk.value));
    expect(Buffer.concat(rest).equals(blob.bytes.subarray(1000, 2000))).toBe(true);
    expect((await readBody(whole)).bytes.equals(blob.bytes)).toBe(true);
    expect(upstream.count('GET', blob.digest)).toBe(1);
  });

  it('waits for bytes that have not arrived yet, then sends them', async () => {
    const blob = randomBlob(256 * 1024);
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 1024 });
    const url = await urlFor(blob.digest);
    const whole = await fetch(url);
    await pause.reached;
    const [coalescedBefore] = [await result('coalesced')];

    const tail = await fetch(url, { headers: { Range: 'bytes=-4096' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${blob.size - 4096}-${blob.size - 1}/${blob.size}`);
    expect(await result('coalesced')).toBe(coalescedBefore + 1);
    pause.release();
    expect((await readBody(tail)).bytes.equals(blob.bytes.subarray(blob.size - 4096))).toBe(true);
    expect((await readBody(whole)).bytes.equals(blob.bytes)).toBe(true);
    expect(upstream.count('GET', blob.digest)).toBe(1);
  });

  it('answers 416 for a range past the end without disturbing the download', async () => {
    const blob = randomBlob(8 * 1024);
    const pause = upstream.serve(REPO, blob.digest, { bytes: blob.bytes, pauseAfter: 10 });
    const url = await urlFor(blob.digest);
    const whole = await fetch(url);
    await pause.reached;
    const res = await fetch(url, { headers: { Range: `bytes=${blob.size}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${blob.size}`);
    pause.release();
    expect((await readBody(whole)).bytes.equals(blob.bytes)).toBe(true);
    await waitFor(() => edge.service.cache.has(blob.digest as never), 'the blob to be cached');
  });
});
