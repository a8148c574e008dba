/**
 * Main with `--blobs s3://...` on a real Ceph RGW: pushes (monolithic and chunked, chunks smaller
 * than S3's part minimum) and pulls (whole and ranged) through the registry API, `--blobs-redirect`
 * sending pulls to presigned S3 URLs, and 503 UNAVAILABLE with nothing partial left when S3 goes
 * away. Credentials reach main through the AWS SDK's default chain (AWS_* variables), as in
 * production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readdir } from 'node:fs/promises';
import { startTestMain, type TestMain } from '../../helpers/servers.js';
import { randomBlob, sha256 } from '../../helpers/oci-fixtures.js';
import { expectOciError, pushImage, startUpload, withDigest } from '../../helpers/registry-http.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';
import { createLogger } from '../../../src/log/logger.js';
import { startTcpRelay, type TcpRelay } from '../../helpers/tcp-relay.js';

const MiB = 1024 * 1024;
const NAME = 'team/app';

let s3: S3TestServer;
const savedEnv: Record<string, string | undefined> = {};
beforeAll(async () => {
  s3 = await startS3();
  // The SDK's default credential chain, as an operator would set it for main.
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    savedEnv[key] = process.env[key];
    process.env[key] = s3.env[key];
  }
});
afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await s3?.stop();
});

function blobsSetting(bucket: string, endpoint = s3.endpoint): string {
  return `s3://${bucket}/main?endpoint=${endpoint}&region=${s3.region}`;
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

describe('main with its blobs on S3', () => {
  let main: TestMain;
  let bucket: string;
  const logLines: string[] = [];
  beforeAll(async () => {
    bucket = await s3.createBucket();
    const logger = createLogger({ level: 'debug', write: (line) => void logLines.push(line) });
    main = await startTestMain({ env: { OUTPOST_MAIN_BLOBS: blobsSetting(bucket) }, logger });
  });

  it('logs where its blobs are at start, and never the S3 secret', () => {
    const listening = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'main registry listening');
    expect(listening?.blobs).toBe(
      `s3://${bucket}/main?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`,
    );
    expect(logLines.join('\n')).not.toContain(s3.credentials.secretAccessKey);
  });
  afterAll(async () => {
    await main?.stop();
  });

  it('stores pushed blobs in the bucket, not in the data directory, and serves them back', async () => {
    const { manifest, layers } = await pushImage(main.url, NAME, 'v1');
    for (const blob of [manifest.config, ...layers]) {
      const res = await fetch(`${main.url}/v2/${NAME}/blobs/${blob.digest}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(blob.bytes));
    }
    const stored = await keysUnder(bucket, 'main/blobs/');
    expect(stored).toEqual(
      expect.arrayContaining(layers.map((l) => `main/blobs/sha256/${l.digest.slice('sha256:'.length)}`)),
    );
    expect(await readdir(main.dataDir)).not.toContain('blobs');
    const pulled = await fetch(`${main.url}/v2/${NAME}/manifests/v1`, {
      headers: { Accept: manifest.mediaType },
    });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(manifest.digest);
  });

  it('assembles a chunked push of 3 MiB chunks (below the part minimum) and verifies its digest', async () => {
    const blob = randomBlob(12 * MiB + 5);
    const session = await startUpload(main.url, NAME);
    let url = session.url;
    for (let start = 0; start < blob.size; start += 3 * MiB) {
      const chunk = blob.bytes.subarray(start, Math.min(start + 3 * MiB, blob.size));
      const res = await fetch(url, {
        method: 'PATCH',
        body: chunk,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `${start}-${start + chunk.byteLength - 1}`,
        },
      });
      expect(res.status, await res.text()).toBe(202);
      url = new URL(res.headers.get('location')!, main.url).href;
    }
    const done = await fetch(withDigest(url, blob.digest), { method: 'PUT' });
    expect(done.status, await done.text()).toBe(201);
    const res = await fetch(`${main.url}/v2/${NAME}/blobs/${blob.digest}`);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(blob.digest);
    expect(await keysUnder(bucket, 'main/uploads/')).toEqual([]);
  });

  it('refuses a chunked push whose bytes do not match the digest, and shows nothing', async () => {
    const blob = randomBlob(4 * MiB);
    const wrong = randomBlob(10).digest;
    const session = await startUpload(main.url, NAME);
    const res = await fetch(withDigest(session.url, wrong), { method: 'PUT', body: blob.bytes });
    await expectOciError(res, 400, 'DIGEST_INVALID');
    expect(await keysUnder(bucket, `main/blobs/sha256/${wrong.slice(7)}`)).toEqual([]);
    expect((await fetch(`${main.url}/v2/${NAME}/blobs/${wrong}`)).status).toBe(404);
  });

  it('answers a Range request with 206 and exactly those bytes', async () => {
    const { layers } = await pushImage(main.url, NAME, 'ranged', { layers: [randomBlob(100_000)] });
    const layer = layers[0]!;
    const res = await fetch(`${main.url}/v2/${NAME}/blobs/${layer.digest}`, { headers: { Range: 'bytes=500-1499' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 500-1499/${layer.size}`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(layer.bytes.subarray(500, 1500)));
  });
});

describe('main with --blobs-redirect', () => {
  let main: TestMain;
  beforeAll(async () => {
    const bucket = await s3.createBucket();
    main = await startTestMain({
      env: { OUTPOST_MAIN_BLOBS: blobsSetting(bucket), OUTPOST_MAIN_BLOBS_REDIRECT: 'true' },
    });
  });
  afterAll(async () => {
    await main?.stop();
  });

  it('answers a blob GET with 307 to a presigned S3 URL that serves the bytes without credentials', async () => {
    const { layers } = await pushImage(main.url, NAME, 'v1');
    const layer = layers[0]!;
    const res = await fetch(`${main.url}/v2/${NAME}/blobs/${layer.digest}`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('docker-content-digest')).toBe(layer.digest);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(location.searchParams.get('X-Amz-Expires'))).toBe(120);
    const fromS3 = await fetch(location);
    expect(fromS3.status).toBe(200);
    expect(Buffer.from(await fromS3.arrayBuffer())).toEqual(Buffer.from(layer.bytes));
  });

  it('still answers HEAD itself, and refuses an unknown blob with 404 before any redirect', async () => {
    const { layers } = await pushImage(main.url, NAME, 'v2');
    const head = await fetch(`${main.url}/v2/${NAME}/blobs/${layers[0]!.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layers[0]!.size));
    const unknown = await fetch(`${main.url}/v2/${NAME}/blobs/${randomBlob(8).digest}`, { redirect: 'manual' });
    await expectOciError(unknown, 404, 'BLOB_UNKNOWN');
  });
});

describe('main when S3 goes away', () => {
  let main: TestMain;
  let relay: TcpRelay;
  let bucket: string;
  beforeAll(async () => {
    bucket = await s3.createBucket();
    relay = await startTcpRelay(Number(new URL(s3.endpoint).port));
    main = await startTestMain({ env: { OUTPOST_MAIN_BLOBS: blobsSetting(bucket, relay.url) } });
  });
  afterAll(async () => {
    await main?.stop();
    await relay?.close();
  });

  it('answers pulls and pushes with 503 UNAVAILABLE, keeps nothing partial, and recovers by itself', async () => {
    const { layers } = await pushImage(main.url, NAME, 'before');
    relay.cut();
    // HEAD is answered from the index: a client checking what to push needs no S3 round trip.
    const head = await fetch(`${main.url}/v2/${NAME}/blobs/${layers[0]!.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layers[0]!.size));
    const pull = await fetch(`${main.url}/v2/${NAME}/blobs/${layers[0]!.digest}`);
    const entry = await expectOciError(pull, 503, 'UNAVAILABLE');
    expect(entry.message).toBe(
      "the registry's blob store is unavailable: nothing of this request was stored; retry later",
    );
    const lost = randomBlob(6 * MiB);
    const push = await fetch(`${main.url}/v2/${NAME}/blobs/uploads/?digest=${lost.digest}`, {
      method: 'POST',
      body: lost.bytes,
    });
    await expectOciError(push, 503, 'UNAVAILABLE');
    relay.restore();
    expect((await fetch(`${main.url}/v2/${NAME}/blobs/${lost.digest}`)).status).toBe(404);
    expect(await keysUnder(bucket, `main/blobs/sha256/${lost.digest.slice(7)}`)).toEqual([]);
    const again = await fetch(`${main.url}/v2/${NAME}/blobs/${layers[0]!.digest}`);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer())).toEqual(Buffer.from(layers[0]!.bytes));
  });
});

describe('main with a bucket it cannot use', () => {
  it('refuses to start, naming the failed S3 call', async () => {
    const err = await startTestMain({ env: { OUTPOST_MAIN_BLOBS: blobsSetting('no-such-bucket-x') } }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'BlobStoreUnavailableError', backend: 'blob store' });
    expect((err as Error).message).toMatch(/^the blob store is unavailable: S3 HeadBucket failed: HTTP 404/);
  });
});
