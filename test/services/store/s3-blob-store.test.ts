/**
 * S3BlobStore on a real Ceph RGW: the BlobStore contract (once in a bucket of its own, once
 * under a prefix of a shared bucket), then what only S3 has: multipart writes, multipart copies
 * and ranges across parts. Failures (unreachable S3, nothing partial) are in
 * s3-blob-store-failures.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { digestOf, type Digest } from '../../../src/oci/digest.js';
import { S3BlobStore, type S3BlobStoreOptions } from '../../../src/store/s3-blob-store.js';
import { describeBlobStore } from '../../contract/blob-store.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

const MiB = 1024 * 1024;

async function openStore(bucket: string, prefix = '', options: S3BlobStoreOptions = {}): Promise<S3BlobStore> {
  const location = { bucket, prefix, endpoint: s3.endpoint, region: s3.region };
  return S3BlobStore.open(location, { credentials: s3.credentials, ...options });
}

describeBlobStore('S3BlobStore in a bucket of its own', async () => {
  const store = await openStore(await s3.createBucket());
  return { store, cleanup: async () => store.close() };
});

let shared: string | undefined;
let run = 0;
describeBlobStore('S3BlobStore under a prefix of a shared bucket', async () => {
  shared ??= await s3.createBucket();
  const store = await openStore(shared, `registry/run-${++run}`);
  return { store, cleanup: async () => store.close() };
});

/** Bytes that differ at every offset, so that a misplaced range or part shows. */
function pattern(size: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed + (i >> 13)) & 0xff;
  return bytes;
}

async function* inChunks(bytes: Buffer, chunkBytes = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

describe('S3BlobStore on S3', () => {
  let bucket: string;
  beforeEach(async () => {
    bucket = await s3.createBucket();
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function openUploads(): Promise<number> {
    const listed = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return listed.Uploads?.length ?? 0;
  }

  async function etagOf(key: string): Promise<string> {
    return (await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag!;
  }

  it('stores a blob of several parts through one multipart upload and keeps it at blobs/sha256/<hex>', async () => {
    const store = await openStore(bucket, 'p', { partBytes: 5 * MiB });
    const big = pattern(12 * MiB + 3);
    const digest = digestOf(big);
    const staged = await store.stage(inChunks(big), { digest, size: big.length });
    const [temp] = await keysUnder('p/tmp/');
    expect(await etagOf(temp!)).toMatch(/-3"$/); // three parts: 5 MiB, 5 MiB, 2 MiB + 3
    expect(await openUploads()).toBe(0);
    await store.commit(staged);
    expect(await keysUnder('')).toEqual([`p/blobs/sha256/${digest.slice(7)}`]);
    const blob = await store.open(digest);
    expect(blob.size).toBe(big.length);
    expect(digestOf(await readAll(blob.stream()))).toBe(digest);
    store.close();
  });

  it('copies a blob beyond the CopyObject limit part by part (UploadPartCopy)', async () => {
    const store = await openStore(bucket, '', {
      partBytes: 5 * MiB,
      copyObjectMaxBytes: 6 * MiB,
      copyPartBytes: 5 * MiB,
    });
    const big = pattern(11 * MiB, 3);
    const staged = await store.stage(inChunks(big));
    await store.commit(staged);
    const key = `blobs/sha256/${staged.digest.slice(7)}`;
    expect(await etagOf(key)).toMatch(/-3"$/); // copied as 5 + 5 + 1 MiB
    expect(await keysUnder('')).toEqual([key]);
    expect(await openUploads()).toBe(0);
    expect(digestOf(await readAll((await store.open(staged.digest)).stream()))).toBe(staged.digest);
    store.close();
  });

  it('serves ranges inside a part, across part boundaries and at the end of a multipart blob', async () => {
    const store = await openStore(bucket, '', { partBytes: 5 * MiB });
    const big = pattern(11 * MiB + 5, 11);
    const staged = await store.stage(inChunks(big, 1_000_003));
    await store.commit(staged);
    const ranges = [
      { start: 17, end: 4_000 },
      { start: 5 * MiB - 10, end: 5 * MiB + 9 },
      { start: 0, end: 10 * MiB + 1 },
      { start: big.length - 1, end: big.length - 1 },
    ];
    for (const range of ranges) {
      const got = await readAll((await store.open(staged.digest as Digest)).stream(range));
      // Compared by digest: a deep equality of megabytes takes minutes.
      expect(got.length).toBe(range.end - range.start + 1);
      expect(digestOf(got)).toBe(digestOf(big.subarray(range.start, range.end + 1)));
    }
    store.close();
  });

  it('serves a range of a blob deleted after it was opened, from the GET begun at open', async () => {
    const store = await openStore(bucket);
    const bytes = pattern(300_000);
    const staged = await store.stage(inChunks(bytes));
    await store.commit(staged);
    const blob = await store.open(staged.digest);
    await store.delete(staged.digest);
    expect(await readAll(blob.stream({ start: 250_000, end: 299_990 }))).toEqual(bytes.subarray(250_000, 299_991));
    store.close();
  });

  it('refuses a multipart body whose digest does not match, aborting the upload and keeping nothing', async () => {
    const store = await openStore(bucket, '', { partBytes: 5 * MiB });
    const big = pattern(11 * MiB);
    const wrong = digestOf(Buffer.from('other'));
    await expect(store.stage(inChunks(big), { digest: wrong })).rejects.toMatchObject({
      code: 'OUTPOST_DIGEST_MISMATCH',
      expected: wrong,
      actual: digestOf(big),
    });
    expect(await openUploads()).toBe(0);
    expect(await keysUnder('')).toEqual([]);
    store.close();
  });

  it('stops storing a body once it is longer than expected, and reports its whole length', async () => {
    const store = await openStore(bucket, '', { partBytes: 5 * MiB });
    const big = pattern(12 * MiB);
    await expect(store.stage(inChunks(big), { size: 6 * MiB })).rejects.toMatchObject({
      code: 'OUTPOST_SIZE_MISMATCH',
      expected: 6 * MiB,
      actual: 12 * MiB,
    });
    expect(await openUploads()).toBe(0);
    expect(await keysUnder('')).toEqual([]);
    store.close();
  });

  it('lists more than one page of blobs (ListObjectsV2 continuation)', async () => {
    const store = await openStore(bucket);
    // Written behind the store's back, 25 at a time: 1,005 stage + commit round trips take long.
    const expected = Array.from({ length: 1_005 }, (_, i) => digestOf(Buffer.from(`blob ${i}`)));
    for (let i = 0; i < expected.length; i += 25) {
      await Promise.all(
        expected
          .slice(i, i + 25)
          .map((digest) =>
            s3.client.send(
              new PutObjectCommand({ Bucket: bucket, Key: `blobs/sha256/${digest.slice(7)}`, Body: digest }),
            ),
          ),
      );
    }
    const listed: string[] = [];
    for await (const digest of store.list()) listed.push(digest);
    expect(listed.sort()).toEqual(expected.sort());
    store.close();
  });
});
