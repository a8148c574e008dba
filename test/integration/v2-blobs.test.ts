/**
 * Pulling blobs (distribution-spec "Pulling blobs", RFC 9110 section 14 for ranges) against a
 * real main on 127.0.0.1:0.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { blobOf, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

let main: TestMain;
const blob: Blob = randomBlob(1000);
const url = (name: string, digest: string) => `${main.url}/v2/${name}/blobs/${digest}`;

beforeAll(async () => {
  main = await startTestMain();
  await pushBlob(main.url, 'pull/blobs', blob);
});
afterAll(async () => {
  await main.stop();
});

const MALFORMED_DIGESTS = [
  'sha256:abc',
  'sha256:' + 'A'.repeat(64),
  'sha512:' + 'a'.repeat(64),
  'md5:' + 'a'.repeat(32),
  'sha256-' + 'a'.repeat(64),
  'notadigest',
];

describe('GET /v2/<name>/blobs/<digest>', () => {
  it('answers 200 with the exact bytes and the digest, length, ETag and range headers', async () => {
    const res = await fetch(url('pull/blobs', blob.digest));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(res.headers.get('etag')).toBe(`"${blob.digest}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('serves a blob of several MiB intact', async () => {
    const large = randomBlob(5 * 1024 * 1024 + 3);
    await pushBlob(main.url, 'pull/large', large);
    const res = await fetch(url('pull/large', large.digest));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(large.size));
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(large.digest);
  });

  it('serves an empty blob with Content-Length 0', async () => {
    const empty = blobOf(Buffer.alloc(0));
    await pushBlob(main.url, 'pull/empty', empty);
    const res = await fetch(url('pull/empty', empty.digest));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('docker-content-digest')).toBe(empty.digest);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves a blob addressed by a sha512 digest', async () => {
    const bytes = randomBytes(300);
    const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    await pushBlob(main.url, 'pull/sha512', { digest, bytes });
    const res = await fetch(url('pull/sha512', digest));
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves blobs of multi-component repository names', async () => {
    const nested = randomBlob(64);
    await pushBlob(main.url, 'a/b/c/d', nested);
    const res = await fetch(url('a/b/c/d', nested.digest));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(nested.bytes)).toBe(true);
  });

  it('answers 404 BLOB_UNKNOWN for a digest never pushed', async () => {
    const missing = sha256(Buffer.from('never pushed'));
    const error = await expectOciError(await fetch(url('pull/blobs', missing)), 404, 'BLOB_UNKNOWN');
    expect(error.detail).toEqual({ digest: missing });
  });

  it('answers 404 BLOB_UNKNOWN for a blob that only another repository holds', async () => {
    await expectOciError(await fetch(url('pull/other', blob.digest)), 404, 'BLOB_UNKNOWN');
  });

  it('answers 404 BLOB_UNKNOWN in a repository that does not exist', async () => {
    await expectOciError(await fetch(url('no/such/repo', blob.digest)), 404, 'BLOB_UNKNOWN');
  });

  it.each(MALFORMED_DIGESTS)('answers 400 DIGEST_INVALID for the malformed digest %s', async (digest) => {
    await expectOciError(await fetch(url('pull/blobs', digest)), 400, 'DIGEST_INVALID');
  });
});

describe('GET /v2/<name>/blobs/<digest> with Range', () => {
  const get = (range: string) => fetch(url('pull/blobs', blob.digest), { headers: { Range: range } });

  async function expectPartial(res: Response, start: number, end: number): Promise<void> {
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes.subarray(start, end + 1))).toBe(true);
  }

  it('answers 206 with Content-Range and exactly the bytes of a closed range', async () => {
    await expectPartial(await get('bytes=10-19'), 10, 19);
  });

  it('answers 206 for a range of one byte', async () => {
    await expectPartial(await get('bytes=0-0'), 0, 0);
  });

  it('answers an open-ended range with the rest of the blob', async () => {
    await expectPartial(await get('bytes=900-'), 900, 999);
  });

  it('answers a suffix range with the last bytes', async () => {
    await expectPartial(await get('bytes=-16'), 984, 999);
  });

  it('answers a suffix longer than the blob with the whole blob', async () => {
    await expectPartial(await get('bytes=-5000'), 0, 999);
  });

  it('clamps a range that ends past the blob to its last byte', async () => {
    await expectPartial(await get('bytes=990-2000'), 990, 999);
  });

  it('answers 416 RANGE_INVALID with Content-Range bytes */size when the start is past the end', async () => {
    const res = await get('bytes=1000-1010');
    expect(res.headers.get('content-range')).toBe('bytes */1000');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('answers 416 for an empty suffix range', async () => {
    const res = await get('bytes=-0');
    expect(res.headers.get('content-range')).toBe('bytes */1000');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('answers 416 for a range whose end is before its start', async () => {
    const res = await get('bytes=20-10');
    expect(res.headers.get('content-range')).toBe('bytes */1000');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('answers 416 for any range of an empty blob', async () => {
    const empty = blobOf(Buffer.alloc(0));
    await pushBlob(main.url, 'pull/empty-range', empty);
    const res = await fetch(url('pull/empty-range', empty.digest), { headers: { Range: 'bytes=0-' } });
    expect(res.headers.get('content-range')).toBe('bytes */0');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('ignores a range in another unit and serves the whole blob', async () => {
    const res = await get('items=0-5');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-range')).toBeNull();
    expect((await res.arrayBuffer()).byteLength).toBe(1000);
  });

  it('ignores a multi-range request and serves the whole blob', async () => {
    const res = await get('bytes=0-1,5-6');
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(1000);
  });

  it('checks the range only after the blob exists: 404 BLOB_UNKNOWN wins over 416', async () => {
    const res = await fetch(url('pull/blobs', sha256(Buffer.from('nope'))), { headers: { Range: 'bytes=5000-' } });
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
  });
});

describe('HEAD /v2/<name>/blobs/<digest>', () => {
  it('answers 200 with the same headers as GET and no body', async () => {
    const res = await fetch(url('pull/blobs', blob.digest), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(res.headers.get('etag')).toBe(`"${blob.digest}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await res.text()).toBe('');
  });

  it('answers 206 with the Content-Range of a range request and no body', async () => {
    const res = await fetch(url('pull/blobs', blob.digest), { method: 'HEAD', headers: { Range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(res.headers.get('content-length')).toBe('100');
    expect(await res.text()).toBe('');
  });

  it('answers 404 without a body for a blob the repository does not hold', async () => {
    const res = await fetch(url('pull/other', blob.digest), { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });

  it('answers 400 for a malformed digest', async () => {
    const res = await fetch(url('pull/blobs', 'sha256:zz'), { method: 'HEAD' });
    expect(res.status).toBe(400);
  });

  it('leaves the blob readable afterwards (the opened file is released)', async () => {
    for (let i = 0; i < 20; i++) await fetch(url('pull/blobs', blob.digest), { method: 'HEAD' });
    const res = await fetch(url('pull/blobs', blob.digest));
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(1000);
  });
});
