/**
 * Resumable uploads of S3BlobStore beyond the contract (which runs in s3-blob-store.test.ts), on
 * a real Ceph RGW: chunks smaller than S3's 5 MiB part minimum assembled into a multipart upload,
 * a session continued by another replica from the state the caller kept (as JSON, as a database
 * returns it), appends whose result was never recorded, and what abort and tails leave behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { digestOf } from '../../../src/oci/digest.js';
import type { UploadState } from '../../../src/store/blob-store.js';
import { S3BlobStore } from '../../../src/store/s3-blob-store.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

const MiB = 1024 * 1024;

function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + seed + (i >> 12)) & 0xff;
  return bytes;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

/** What main keeps of a session, round-tripped through JSON as a database row would be. */
interface Record {
  id: string;
  size: number;
  state: UploadState;
}

describe('S3BlobStore resumable uploads', () => {
  let bucket: string;
  let replicas: S3BlobStore[];

  beforeEach(async () => {
    bucket = await s3.createBucket();
    const location = { bucket, prefix: 'reg', endpoint: s3.endpoint, region: s3.region };
    const options = { credentials: s3.credentials, partBytes: 5 * MiB };
    replicas = [await S3BlobStore.open(location, options), await S3BlobStore.open(location, options)];
    return () => {
      for (const replica of replicas) replica.close();
    };
  });

  async function append(store: S3BlobStore, record: Record, bytes: Uint8Array): Promise<Record> {
    const result = await store.uploads.append(record.id, record.state, record.size, once(bytes));
    return { id: record.id, size: result.size, state: JSON.parse(JSON.stringify(result.state)) as UploadState };
  }

  async function begin(store: S3BlobStore): Promise<Record> {
    const id = randomUUID();
    return { id, size: 0, state: JSON.parse(JSON.stringify(await store.uploads.begin(id))) as UploadState };
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function openUploads(): Promise<number> {
    return (await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
  }

  it('assembles 2 MiB chunks, sent to two replicas in turn, into one multipart blob with the right digest', async () => {
    const chunks = Array.from({ length: 7 }, (_, i) => pattern(2 * MiB + i, i));
    const whole = Buffer.concat(chunks);
    let record = await begin(replicas[0]!);
    for (const [i, chunk] of chunks.entries()) record = await append(replicas[i % 2]!, record, chunk);
    expect(record.size).toBe(whole.length);
    const state = record.state as { parts: unknown[]; tail: { size: number } };
    expect(state.parts).toHaveLength(2); // 14 MiB + 21 bytes: two parts of at least 5 MiB, and a tail
    expect(state.tail.size).toBe(2 * MiB + 6); // parts of 6 MiB + 3 and 6 MiB + 12
    const digest = digestOf(whole);
    const staged = await replicas[1]!.uploads.complete(record.id, record.state, { digest, size: whole.length });
    const assembled = await s3.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `reg/uploads/${record.id}/data` }),
    );
    expect(assembled.ETag).toMatch(/-3"$/);
    expect(await replicas[1]!.stat(digest)).toBeUndefined();
    await replicas[1]!.commit(staged);
    await replicas[0]!.uploads.abort(record.id, record.state);
    expect(digestOf(await readAll((await replicas[0]!.open(digest)).stream()))).toBe(digest);
    expect(await keysUnder('reg/uploads/')).toEqual([]);
    expect(await openUploads()).toBe(0);
  });

  it('replaces parts sent by an append whose result was never recorded', async () => {
    const first = pattern(7 * MiB, 1);
    const second = pattern(6 * MiB, 2);
    let record = await append(replicas[0]!, await begin(replicas[0]!), first);
    // Sent whole parts and a tail, then the replica died before the record was written.
    await append(replicas[0]!, record, pattern(9 * MiB, 99));
    record = await append(replicas[1]!, record, second);
    const whole = Buffer.concat([first, second]);
    const digest = digestOf(whole);
    const staged = await replicas[1]!.uploads.complete(record.id, record.state, { digest, size: whole.length });
    await replicas[1]!.commit(staged);
    expect(digestOf(await readAll((await replicas[1]!.open(digest)).stream()))).toBe(digest);
  });

  it('keeps at most the session marker and two tails while small chunks arrive', async () => {
    let record = await begin(replicas[0]!);
    for (let i = 0; i < 6; i++) record = await append(replicas[0]!, record, pattern(300_000, i));
    const keys = await keysUnder(`reg/uploads/${record.id}/`);
    expect(keys.filter((k) => k.endsWith('/session'))).toHaveLength(1);
    expect(keys.filter((k) => /\/tail-[0-9a-f-]{36}$/.test(k)).length).toBeLessThanOrEqual(2);
    await replicas[0]!.uploads.abort(record.id);
    expect(await keysUnder('reg/')).toEqual([]);
  });

  it('refuses a state that does not belong to the session, or an offset that is not its size', async () => {
    const a = await append(replicas[0]!, await begin(replicas[0]!), pattern(1_000, 1));
    const b = await begin(replicas[0]!);
    await expect(replicas[0]!.uploads.append(b.id, a.state, a.size, once(Buffer.from('x')))).rejects.toThrow(
      `upload session ${b.id}: not a state this store wrote`,
    );
    await expect(replicas[0]!.uploads.append(a.id, a.state, 5, once(Buffer.from('x')))).rejects.toThrow(
      `upload session ${a.id}: offset 5 is not the 1000 bytes of its state`,
    );
  });

  it('completes a session whose bytes are all in its tail (no multipart upload)', async () => {
    const bytes = pattern(3 * MiB, 5);
    const record = await append(replicas[0]!, await begin(replicas[0]!), bytes);
    expect(record.state).toMatchObject({ uploadId: null, parts: [], tail: { size: 3 * MiB } });
    const digest = digestOf(bytes);
    await replicas[0]!.commit(
      await replicas[0]!.uploads.complete(record.id, record.state, { digest, size: bytes.length }),
    );
    expect(digestOf(await readAll((await replicas[0]!.open(digest)).stream()))).toBe(digest);
  });

  it('completes again when a completion is retried after one that worked (its answer was lost)', async () => {
    const parts = [pattern(6 * MiB, 6), pattern(MiB, 7)];
    let record = await append(replicas[0]!, await begin(replicas[0]!), parts[0]!);
    record = await append(replicas[0]!, record, parts[1]!);
    const whole = Buffer.concat(parts);
    const digest = digestOf(whole);
    await replicas[0]!.uploads.complete(record.id, record.state, { digest, size: whole.length });
    const again = await replicas[1]!.uploads.complete(record.id, record.state, { digest, size: whole.length });
    await replicas[1]!.commit(again);
    expect(await replicas[1]!.stat(digest)).toEqual({ size: whole.length });
    expect(digestOf(await readAll((await replicas[1]!.open(digest)).stream()))).toBe(digest);
  });
});
