/**
 * The edge's blob route on its two paths (DESIGN 3.4): a miss pulls from main, a hit is served
 * from the edge's own store (memory for small blobs, disk for others), with the same bytes and
 * the same headers either way, for GET, HEAD and single ranges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { blobOf, randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

const MiB = 1 << 20;
const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;
beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

async function urlFor(blob: { digest: string }, repository = REPO): Promise<string> {
  return edgeBlobUrl(
    edge.url,
    repository,
    blob.digest,
    await signRedirectToken(main, { repository, digest: blob.digest, audience: ['eu'] }),
  );
}

const result = (name: string) => readMetric(edge.url, `outpost_edge_blob_requests_total{result="${name}"}`);

function expectBlobHeaders(res: Response, blob: Blob, length = blob.size): void {
  expect(res.headers.get('content-length')).toBe(String(length));
  expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
  expect(res.headers.get('etag')).toBe(`"${blob.digest}"`);
  expect(res.headers.get('accept-ranges')).toBe('bytes');
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
}

describe('GET /v2/ on the edge', () => {
  it('answers 200 with an empty JSON object', async () => {
    const res = await fetch(`${edge.url}/v2/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
  });
});

describe('GET /v2/<name>/blobs/<digest> on the edge', () => {
  // 100 B and 64 KiB stay in memory after the first hit; 3 MiB is read from disk every time.
  for (const size of [100, 64 * 1024, 3 * MiB]) {
    it(`serves a ${size}-byte blob byte for byte with every header on the miss and on later hits`, async () => {
      const blob = await pushed(size);
      const url = await urlFor(blob);
      const [missesBefore, hitsBefore] = [await result('miss'), await result('hit')];

      const miss = await fetch(url);
      expect(miss.status).toBe(200);
      expectBlobHeaders(miss, blob);
      expect(Buffer.from(await miss.arrayBuffer()).equals(blob.bytes)).toBe(true);
      expect(await result('miss')).toBe(missesBefore + 1);
      expect(edge.service.cache.has(blob.digest as never)).toBe(true);

      for (let i = 0; i < 2; i++) {
        const hit = await fetch(url);
        expect(hit.status).toBe(200);
        expectBlobHeaders(hit, blob);
        expect(Buffer.from(await hit.arrayBuffer()).equals(blob.bytes)).toBe(true);
      }
      expect(await result('hit')).toBe(hitsBefore + 2);
    });
  }

  it('serves an empty blob with Content-Length 0', async () => {
    const blob = blobOf(Buffer.alloc(0));
    await pushBlob(main.url, REPO, blob);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(await urlFor(blob));
      expect(res.status).toBe(200);
      expectBlobHeaders(res, blob);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it('answers 404 BLOB_UNKNOWN when the upstream does not have the blob, and caches nothing', async () => {
    const blob = randomBlob(50);
    const res = await fetch(await urlFor(blob));
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
    expect(edge.service.cache.has(blob.digest as never)).toBe(false);
  });

  it('answers 400 DIGEST_INVALID for a malformed digest and 400 NAME_INVALID for a malformed name', async () => {
    const blob = await pushed(10);
    const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
    await expectOciError(await fetch(`${edge.url}/v2/${REPO}/blobs/sha256:abc?token=${token}`), 400, 'DIGEST_INVALID');
    await expectOciError(
      await fetch(`${edge.url}/v2/Team/App/blobs/${blob.digest}?token=${token}`),
      400,
      'NAME_INVALID',
    );
  });
});

describe('HEAD /v2/<name>/blobs/<digest> on the edge', () => {
  it('on a miss answers the headers from upstream without a body and without caching the blob', async () => {
    const blob = await pushed(2000);
    const res = await fetch(await urlFor(blob), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expectBlobHeaders(res, blob);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(edge.service.cache.has(blob.digest as never)).toBe(false);
  });

  it('on a hit answers the same headers without a body', async () => {
    for (const size of [100, 3 * MiB]) {
      const blob = await pushed(size);
      const url = await urlFor(blob);
      await (await fetch(url)).arrayBuffer();
      const hitsBefore = await result('hit');
      const res = await fetch(url, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expectBlobHeaders(res, blob);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
      expect(await result('hit')).toBe(hitsBefore + 1);
    }
  });
});

describe('Range on a cached blob', () => {
  for (const size of [1000, 3 * MiB]) {
    describe(`of ${size} bytes`, () => {
      let blob: Blob;
      let url: string;
      beforeAll(async () => {
        blob = await pushed(size);
        url = await urlFor(blob);
        await (await fetch(url)).arrayBuffer();
      });

      it('answers bytes=a-b with 206, Content-Range and exactly those bytes', async () => {
        const res = await fetch(url, { headers: { Range: 'bytes=100-299' } });
        expect(res.status).toBe(206);
        expectBlobHeaders(res, blob, 200);
        expect(res.headers.get('content-range')).toBe(`bytes 100-299/${size}`);
        expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes.subarray(100, 300))).toBe(true);
      });

      it('answers an open-ended range to the last byte and a suffix range with the last N bytes', async () => {
        const open = await fetch(url, { headers: { Range: `bytes=${size - 10}-` } });
        expect(open.status).toBe(206);
        expect(open.headers.get('content-range')).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
        expect(Buffer.from(await open.arrayBuffer()).equals(blob.bytes.subarray(size - 10))).toBe(true);

        const suffix = await fetch(url, { headers: { Range: 'bytes=-7' } });
        expect(suffix.status).toBe(206);
        expect(suffix.headers.get('content-range')).toBe(`bytes ${size - 7}-${size - 1}/${size}`);
        expect(Buffer.from(await suffix.arrayBuffer()).equals(blob.bytes.subarray(size - 7))).toBe(true);
      });

      it('answers 416 RANGE_INVALID with Content-Range bytes */size for a range past the end', async () => {
        const res = await fetch(url, { headers: { Range: `bytes=${size}-${size + 5}` } });
        expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
        await expectOciError(res, 416, 'RANGE_INVALID');
      });

      it('serves the whole blob for a multi-range request (RFC 9110 allows ignoring it)', async () => {
        const res = await fetch(url, { headers: { Range: 'bytes=0-1,5-6' } });
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
      });
    });
  }
});
