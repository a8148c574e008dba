/**
 * S3BlobStore when S3 fails, on a real Ceph RGW reached through a relay the tests cut: every
 * failure is a `BlobStoreUnavailableError` (503 UNAVAILABLE, never a 500 or a "client went away"),
 * and nothing partial is ever visible under a blob key.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import { toOciError } from '../../../src/http/error-handler.js';
import { digestOf } from '../../../src/oci/digest.js';
import { BlobStoreUnavailableError } from '../../../src/store/errors.js';
import { S3BlobStore, type S3BlobStoreOptions } from '../../../src/store/s3-blob-store.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';
import { startTcpRelay, type TcpRelay } from '../../helpers/tcp-relay.js';
import { waitFor } from '../../helpers/wait-for.js';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, the promise resolved');
}

async function* bytes(content: string | Uint8Array): AsyncIterable<Uint8Array> {
  yield typeof content === 'string' ? Buffer.from(content) : content;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('S3BlobStore.open', () => {
  it('refuses an endpoint nobody listens on with BlobStoreUnavailableError naming the call and the cause', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const err = await rejection(
      S3BlobStore.open(
        { bucket: 'any-bucket', prefix: '', endpoint, region: 'us-east-1' },
        { credentials: s3.credentials },
      ),
    );
    expect(err).toBeInstanceOf(BlobStoreUnavailableError);
    expect(err).toMatchObject({
      code: 'OUTPOST_BACKEND_UNAVAILABLE',
      backend: 'blob store',
      operation: 'S3 HeadBucket',
    });
    expect((err as Error).message).toMatch(/^the blob store is unavailable: S3 HeadBucket failed: ECONNREFUSED/);
    expect(toOciError(err)).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  });

  it('refuses credentials S3 does not know, without repeating the secret', async () => {
    const bucket = await s3.createBucket();
    const secretAccessKey = 'not-the-secret-key-0123456789abcdefghij';
    const err = await rejection(
      S3BlobStore.open(
        { bucket, prefix: '', endpoint: s3.endpoint, region: s3.region },
        { credentials: { accessKeyId: 'unknown-access-key', secretAccessKey } },
      ),
    );
    expect(err).toBeInstanceOf(BlobStoreUnavailableError);
    expect((err as Error).message).toMatch(/S3 HeadBucket failed: HTTP 403/);
    expect((err as Error).message).not.toContain(secretAccessKey);
  });

  it('refuses a bucket that does not exist', async () => {
    const err = await rejection(
      S3BlobStore.open(
        { bucket: 'no-such-bucket-here', prefix: '', endpoint: s3.endpoint, region: s3.region },
        { credentials: s3.credentials },
      ),
    );
    expect(err).toBeInstanceOf(BlobStoreUnavailableError);
    expect((err as Error).message).toMatch(/S3 HeadBucket failed: HTTP 404/);
  });

  it('opens a bucket that exists with valid credentials', async () => {
    const bucket = await s3.createBucket();
    const store = await S3BlobStore.open(
      { bucket, prefix: '', endpoint: s3.endpoint, region: s3.region },
      { credentials: s3.credentials },
    );
    expect(await store.stat(digestOf(Buffer.from('x')))).toBeUndefined();
    store.close();
  });
});

describe('S3BlobStore when S3 goes away', () => {
  let relay: TcpRelay;
  let bucket: string;
  let store: S3BlobStore;

  async function openThrough(endpoint: string, options: S3BlobStoreOptions = {}): Promise<S3BlobStore> {
    const location = { bucket, prefix: 'r', endpoint, region: s3.region };
    return S3BlobStore.open(location, { credentials: s3.credentials, partBytes: 5 * MiB, ...options });
  }

  beforeEach(async () => {
    relay = await startTcpRelay(Number(new URL(s3.endpoint).port));
    bucket = await s3.createBucket();
    store = await openThrough(relay.url);
  });
  afterEach(async () => {
    store.close();
    await relay.close();
  });

  async function blobKeys(): Promise<string[]> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'r/blobs/' }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  }

  it('answers stat, open, stage, commit, delete and list with BlobStoreUnavailableError (503)', async () => {
    const staged = await store.stage(bytes('kept'));
    relay.cut();
    const digest = staged.digest;
    // Each started at once: a cut connection must fail every kind of call the same way.
    const failures = [
      rejection(store.stat(digest)),
      rejection(store.open(digest)),
      rejection(store.stage(bytes('new'))),
      rejection(store.commit(staged)),
      rejection(store.delete(digest)),
      rejection(
        (async () => {
          for await (const _ of store.list()) break;
        })(),
      ),
      rejection(store.removeTemporaryFiles()),
    ];
    for (const failure of failures) {
      const err = await failure;
      expect(err).toBeInstanceOf(BlobStoreUnavailableError);
      expect(toOciError(err)).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    }
    relay.restore();
    expect(await blobKeys()).toEqual([]);
    await store.commit(staged);
    expect(await store.stat(digest)).toEqual({ size: 4 });
  });

  it('leaves nothing under blobs/ when S3 goes away in the middle of a multipart stage', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const part = Buffer.alloc(6 * MiB, 1);
    const staging = store.stage(
      (async function* () {
        yield part;
        await gate;
        yield part;
      })(),
      { digest: digestOf(Buffer.concat([part, part])) },
    );
    const failed = rejection(staging);
    // Wait until S3 holds the first part, then cut the connection under the second one.
    const uploadId = await waitFor(async () => {
      const listed = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      const upload = listed.Uploads?.[0];
      if (!upload) return undefined;
      const parts = await s3.client.send(
        new ListPartsCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }),
      );
      return (parts.Parts?.length ?? 0) > 0 ? upload.UploadId : undefined;
    }, 'the first part in S3');
    expect(uploadId).toBeDefined();
    relay.cut();
    release();
    const err = await failed;
    expect(err).toBeInstanceOf(BlobStoreUnavailableError);
    expect(toOciError(err)).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(await blobKeys()).toEqual([]);
    // The abort could not reach S3 either: the next clean-up (at start-up) ends the upload.
    relay.restore();
    expect(await store.removeTemporaryFiles()).toBe(1);
    expect((await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect(await store.removeTemporaryFiles()).toBe(0);
  });

  it('keeps the recorded state of an upload usable when S3 goes away in the middle of a chunk', async () => {
    const id = randomUUID();
    const first = Buffer.alloc(6 * MiB, 3);
    const recorded = await store.uploads.append(id, await store.uploads.begin(id), 0, bytes(first));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const failed = rejection(
      store.uploads.append(
        id,
        recorded.state,
        recorded.size,
        (async function* () {
          await gate;
          yield Buffer.alloc(6 * MiB, 4);
        })(),
      ),
    );
    relay.cut();
    release();
    const err = await failed;
    expect(err).toBeInstanceOf(BlobStoreUnavailableError);
    expect(toOciError(err)).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    relay.restore();
    const second = Buffer.alloc(MiB, 5);
    const resumed = await store.uploads.append(id, recorded.state, recorded.size, bytes(second));
    const digest = digestOf(Buffer.concat([first, second]));
    await store.commit(await store.uploads.complete(id, resumed.state, { digest, size: resumed.size }));
    expect(await store.stat(digest)).toEqual({ size: 7 * MiB });
    expect(await blobKeys()).toEqual([`r/blobs/sha256/${digest.slice(7)}`]);
  });

  it('serves reads again once S3 is back, without restarting', async () => {
    const staged = await store.stage(bytes('back again'));
    await store.commit(staged);
    relay.cut();
    expect(await rejection(store.stat(staged.digest))).toBeInstanceOf(BlobStoreUnavailableError);
    relay.restore();
    expect(await store.stat(staged.digest)).toEqual({ size: 10 });
  });
});

describe('S3BlobStore.removeTemporaryFiles(olderThan)', () => {
  it('keeps staged objects and trash written since, which another replica may be writing', async () => {
    const bucket = await s3.createBucket();
    const store = await S3BlobStore.open(
      { bucket, prefix: '', endpoint: s3.endpoint, region: s3.region },
      { credentials: s3.credentials },
    );
    const kept = await store.stage(bytes('kept'));
    await store.commit(kept);
    await store.trash(kept.digest);
    await store.stage(bytes('young'));
    expect(await store.removeTemporaryFiles(Date.now() - 60_000)).toBe(0);
    expect(await store.removeTemporaryFiles(Date.now() + 60_000)).toBe(2);
    expect(await store.removeTemporaryFiles()).toBe(0);
    store.close();
  });
});
