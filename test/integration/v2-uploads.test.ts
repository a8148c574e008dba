/**
 * Pushing blobs (distribution-spec "Pushing blobs"): monolithic POST and PUT, chunked PATCH
 * with Content-Range, docker-style streamed PATCH, cross-repository mount, and what stays in the
 * blob store (a directory or S3) when a digest does not match. Session status and cancel are in
 * v2-upload-sessions.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { randomBlob, sha256 } from '../helpers/oci-fixtures.js';
import {
  expectOciError,
  patchUpload as patch,
  pushBlob,
  startUpload,
  until,
  withDigest,
} from '../helpers/registry-http.js';

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const sha512 = (bytes: Uint8Array) => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
const blobUrl = (name: string, digest: string) => `${main.url}/v2/${name}/blobs/${digest}`;

/** Nothing of a refused upload may remain: no blob, nothing staged. */
async function expectNothingStored(...digests: string[]): Promise<void> {
  for (const digest of digests) expect(await main.backend.blobArea.hasBlob(digest), digest).toBe(false);
  expect(await main.backend.blobArea.temporaries()).toEqual([]);
}

describe('POST /v2/<name>/blobs/uploads/', () => {
  it('answers 202 with a session Location, Docker-Upload-UUID and an empty Range', async () => {
    const res = await fetch(`${main.url}/v2/push/start/blobs/uploads/`, { method: 'POST' });
    expect(res.status).toBe(202);
    const uuid = res.headers.get('docker-upload-uuid')!;
    expect(uuid).toMatch(UUID);
    expect(res.headers.get('location')).toBe(`/v2/push/start/blobs/uploads/${uuid}`);
    expect(res.headers.get('range')).toBe('0-0');
    expect(res.headers.get('content-length')).toBe('0');
  });

  it('accepts the path without its trailing slash', async () => {
    const res = await fetch(`${main.url}/v2/push/start/blobs/uploads`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/v2\/push\/start\/blobs\/uploads\/[0-9a-f-]{36}$/);
  });

  it('stores a whole blob given ?digest= and answers 201 with its Location and digest', async () => {
    const blob = randomBlob(2048);
    const res = await fetch(`${main.url}/v2/push/mono/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      body: blob.bytes,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/push/mono/blobs/${blob.digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    const pulled = await fetch(new URL(res.headers.get('location')!, main.url));
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('stores a sha512-addressed blob given ?digest=sha512:...', async () => {
    const bytes = randomBytes(777);
    const digest = sha512(bytes);
    const res = await fetch(`${main.url}/v2/push/mono/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: bytes,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(await main.backend.blobArea.hasBlob(digest)).toBe(true);
  });

  it('answers 400 DIGEST_INVALID when the body does not match ?digest=, and stores nothing', async () => {
    const claimed = randomBlob(100);
    const sent = randomBytes(100);
    const res = await fetch(`${main.url}/v2/push/mismatch/blobs/uploads/?digest=${claimed.digest}`, {
      method: 'POST',
      body: sent,
    });
    const error = await expectOciError(res, 400, 'DIGEST_INVALID');
    expect(error.detail).toEqual({ expected: claimed.digest, actual: sha256(sent) });
    await expectOciError(await fetch(blobUrl('push/mismatch', claimed.digest)), 404, 'BLOB_UNKNOWN');
    await expectNothingStored(claimed.digest, sha256(sent));
  });

  it('answers 400 DIGEST_INVALID for a malformed ?digest=', async () => {
    const res = await fetch(`${main.url}/v2/push/mono/blobs/uploads/?digest=sha256:1234`, {
      method: 'POST',
      body: randomBytes(10),
    });
    await expectOciError(res, 400, 'DIGEST_INVALID');
  });
});

describe('POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repository>', () => {
  it('mounts a blob of another repository: 201 with the Location in the target repository', async () => {
    const blob = randomBlob(4096);
    await pushBlob(main.url, 'mount/source', blob);
    const res = await fetch(`${main.url}/v2/mount/target/blobs/uploads/?mount=${blob.digest}&from=mount/source`, {
      method: 'POST',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/mount/target/blobs/${blob.digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    const pulled = await fetch(blobUrl('mount/target', blob.digest));
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('falls back to a new upload session (202) when the source repository lacks the blob', async () => {
    const blob = randomBlob(10);
    await pushBlob(main.url, 'mount/elsewhere', blob);
    const res = await fetch(
      `${main.url}/v2/mount/fallback/blobs/uploads/?mount=${blob.digest}&from=mount/empty-source`,
      { method: 'POST' },
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/v2\/mount\/fallback\/blobs\/uploads\/[0-9a-f-]{36}$/);
    await expectOciError(await fetch(blobUrl('mount/fallback', blob.digest)), 404, 'BLOB_UNKNOWN');
  });

  it('starts an upload session (202) for ?mount= without from', async () => {
    const res = await fetch(`${main.url}/v2/mount/nofrom/blobs/uploads/?mount=${sha256(Buffer.from('x'))}`, {
      method: 'POST',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('docker-upload-uuid')).toMatch(UUID);
  });

  it('answers 400 DIGEST_INVALID for a malformed mount digest', async () => {
    const res = await fetch(`${main.url}/v2/mount/target/blobs/uploads/?mount=sha256:xyz&from=mount/source`, {
      method: 'POST',
    });
    await expectOciError(res, 400, 'DIGEST_INVALID');
  });

  it('answers 400 NAME_INVALID for a malformed from repository', async () => {
    const res = await fetch(
      `${main.url}/v2/mount/target/blobs/uploads/?mount=${sha256(Buffer.from('x'))}&from=Bad/../Name`,
      { method: 'POST' },
    );
    await expectOciError(res, 400, 'NAME_INVALID');
  });
});

describe('PATCH /v2/<name>/blobs/uploads/<uuid>', () => {
  it('accepts chunks with Content-Range and answers 202 with the Range received so far', async () => {
    const session = await startUpload(main.url, 'chunked/ok');
    const blob = randomBlob(300);
    let res = await patch(session.url, blob.bytes.subarray(0, 100), '0-99');
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe('0-99');
    expect(res.headers.get('location')).toBe(`/v2/chunked/ok/blobs/uploads/${session.uuid}`);
    expect(res.headers.get('docker-upload-uuid')).toBe(session.uuid);
    res = await patch(session.url, blob.bytes.subarray(100, 300), '100-299');
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe('0-299');
    res = await fetch(withDigest(session.url, blob.digest), { method: 'PUT' });
    expect(res.status).toBe(201);
    const pulled = await fetch(blobUrl('chunked/ok', blob.digest));
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('answers 416 with the received Range for an out-of-order chunk', async () => {
    const session = await startUpload(main.url, 'chunked/order');
    const blob = randomBlob(200);
    expect((await patch(session.url, blob.bytes.subarray(0, 100), '0-99')).status).toBe(202);
    const res = await patch(session.url, blob.bytes.subarray(150, 200), '150-199');
    expect(res.headers.get('range')).toBe('0-99');
    expect(res.headers.get('docker-upload-uuid')).toBe(session.uuid);
    await expectOciError(res, 416, 'RANGE_INVALID');
    // The session is intact: the right chunk is still accepted after the refusal.
    expect((await patch(session.url, blob.bytes.subarray(100, 200), '100-199')).headers.get('range')).toBe('0-199');
    expect((await fetch(withDigest(session.url, blob.digest), { method: 'PUT' })).status).toBe(201);
  });

  it('answers 416 for a first chunk that does not start at 0', async () => {
    const session = await startUpload(main.url, 'chunked/first');
    const res = await patch(session.url, randomBytes(10), '10-19');
    expect(res.headers.get('range')).toBe('0-0');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('answers 416 when a chunk already received is sent again', async () => {
    const session = await startUpload(main.url, 'chunked/retry');
    const chunk = randomBytes(50);
    expect((await patch(session.url, chunk, '0-49')).status).toBe(202);
    const res = await patch(session.url, chunk, '0-49');
    expect(res.headers.get('range')).toBe('0-49');
    await expectOciError(res, 416, 'RANGE_INVALID');
  });

  it('appends chunks without Content-Range (docker-style streaming), including a chunked request body', async () => {
    const session = await startUpload(main.url, 'streamed/ok');
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(5)];
    expect((await patch(session.url, parts[0]!)).headers.get('range')).toBe('0-999');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(parts[1]!.subarray(0, 30_000));
        controller.enqueue(parts[1]!.subarray(30_000));
        controller.close();
      },
    });
    const res = await fetch(session.url, { method: 'PATCH', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe('0-70999');
    expect((await patch(session.url, parts[2]!)).headers.get('range')).toBe('0-71004');
    const whole = Buffer.concat(parts);
    expect((await fetch(withDigest(session.url, sha256(whole)), { method: 'PUT' })).status).toBe(201);
    const pulled = await fetch(blobUrl('streamed/ok', sha256(whole)));
    expect(sha256(Buffer.from(await pulled.arrayBuffer()))).toBe(sha256(whole));
  });

  it('answers 400 BLOB_UPLOAD_INVALID for a malformed Content-Range', async () => {
    const session = await startUpload(main.url, 'chunked/malformed');
    for (const range of ['abc', '10-5', '-5', '0-']) {
      await expectOciError(await patch(session.url, randomBytes(5), range), 400, 'BLOB_UPLOAD_INVALID');
    }
  });

  it('answers 400 BLOB_UPLOAD_INVALID when the body length differs from Content-Range; keeps what it got', async () => {
    const session = await startUpload(main.url, 'chunked/short');
    expect((await patch(session.url, randomBytes(10), '0-9')).status).toBe(202);
    await expectOciError(await patch(session.url, randomBytes(5), '10-19'), 400, 'BLOB_UPLOAD_INVALID');
    const status = await fetch(session.url);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-9');
  });

  it('answers 400 BLOB_UPLOAD_INVALID to a second writer while a chunk is still arriving', async () => {
    const session = await startUpload(main.url, 'chunked/busy');
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const first = fetch(session.url, { method: 'PATCH', body, duplex: 'half' } as RequestInit);
    // Send a full write batch (1 MiB to a directory, a part to S3) so that bytes reach the store.
    const chunk = main.backend.blobArea.writeBatchBytes;
    controller.enqueue(randomBytes(chunk));
    await until(async () => (await main.backend.blobArea.sessionBytes(session.uuid)) >= chunk);
    await expectOciError(await patch(session.url, randomBytes(5)), 400, 'BLOB_UPLOAD_INVALID');
    await expectOciError(
      await fetch(withDigest(session.url, sha256(Buffer.from('x'))), { method: 'PUT' }),
      400,
      'BLOB_UPLOAD_INVALID',
    );
    controller.close();
    const res = await first;
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe(`0-${chunk - 1}`);
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for a session that never existed', async () => {
    const res = await patch(`${main.url}/v2/chunked/ok/blobs/uploads/${UNKNOWN_UUID}`, randomBytes(5));
    const error = await expectOciError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
    expect(error.detail).toEqual({ uuid: UNKNOWN_UUID });
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for a session id that is not a UUID', async () => {
    await expectOciError(
      await patch(`${main.url}/v2/chunked/ok/blobs/uploads/not-a-uuid`, randomBytes(5)),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for a session of another repository', async () => {
    const session = await startUpload(main.url, 'chunked/owner');
    const res = await patch(`${main.url}/v2/chunked/intruder/blobs/uploads/${session.uuid}`, randomBytes(5));
    await expectOciError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
    expect((await fetch(session.url)).headers.get('range')).toBe('0-0');
  });
});

describe('PUT /v2/<name>/blobs/uploads/<uuid>?digest=<digest>', () => {
  it('completes a session with the whole blob in the body (POST then PUT): 201', async () => {
    const blob = randomBlob(5000);
    const session = await startUpload(main.url, 'complete/body');
    const res = await fetch(withDigest(session.url, blob.digest), {
      method: 'PUT',
      body: blob.bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/complete/body/blobs/${blob.digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(await main.backend.blobArea.hasBlob(blob.digest)).toBe(true);
  });

  it('appends a final chunk given in the body after earlier chunks', async () => {
    const blob = randomBlob(200);
    const session = await startUpload(main.url, 'complete/final');
    expect((await patch(session.url, blob.bytes.subarray(0, 120), '0-119')).status).toBe(202);
    const res = await fetch(withDigest(session.url, blob.digest), {
      method: 'PUT',
      body: blob.bytes.subarray(120),
      headers: { 'Content-Range': '120-199' },
    });
    expect(res.status).toBe(201);
    const pulled = await fetch(blobUrl('complete/final', blob.digest));
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('answers 416 with the received Range for an out-of-order final chunk, and keeps the session', async () => {
    const blob = randomBlob(200);
    const session = await startUpload(main.url, 'complete/order');
    expect((await patch(session.url, blob.bytes.subarray(0, 100), '0-99')).status).toBe(202);
    const res = await fetch(withDigest(session.url, blob.digest), {
      method: 'PUT',
      body: blob.bytes.subarray(150),
      headers: { 'Content-Range': '150-199' },
    });
    expect(res.headers.get('range')).toBe('0-99');
    await expectOciError(res, 416, 'RANGE_INVALID');
    const status = await fetch(session.url);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-99');
    const done = await fetch(withDigest(session.url, blob.digest), {
      method: 'PUT',
      body: blob.bytes.subarray(100),
      headers: { 'Content-Range': '100-199' },
    });
    expect(done.status).toBe(201);
  });

  it('completes a chunked upload verified against a sha512 digest', async () => {
    const bytes = randomBytes(400);
    const session = await startUpload(main.url, 'complete/sha512');
    expect((await patch(session.url, bytes.subarray(0, 200), '0-199')).status).toBe(202);
    expect((await patch(session.url, bytes.subarray(200), '200-399')).status).toBe(202);
    const res = await fetch(withDigest(session.url, sha512(bytes)), { method: 'PUT' });
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha512(bytes));
    const pulled = await fetch(blobUrl('complete/sha512', sha512(bytes)));
    expect(Buffer.from(await pulled.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers 400 DIGEST_INVALID on a mismatch, stores nothing and ends the session', async () => {
    const sent = randomBytes(256);
    const claimed = sha256(Buffer.from('something else'));
    const session = await startUpload(main.url, 'complete/mismatch');
    expect((await patch(session.url, sent)).status).toBe(202);
    expect(await main.backend.blobArea.hasSession(session.uuid)).toBe(true);
    const error = await expectOciError(
      await fetch(withDigest(session.url, claimed), { method: 'PUT' }),
      400,
      'DIGEST_INVALID',
    );
    expect(error.detail).toEqual({ expected: claimed, actual: sha256(sent) });
    await expectOciError(await fetch(blobUrl('complete/mismatch', claimed)), 404, 'BLOB_UNKNOWN');
    await expectOciError(await fetch(blobUrl('complete/mismatch', sha256(sent))), 404, 'BLOB_UNKNOWN');
    await expectNothingStored(claimed, sha256(sent));
    expect(await main.backend.blobArea.hasSession(session.uuid)).toBe(false);
    await expectOciError(await fetch(session.url), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('answers 400 DIGEST_INVALID without the digest parameter, and keeps the session', async () => {
    const session = await startUpload(main.url, 'complete/nodigest');
    await expectOciError(await fetch(session.url, { method: 'PUT' }), 400, 'DIGEST_INVALID');
    expect((await fetch(session.url)).status).toBe(204);
  });

  it('answers 400 DIGEST_INVALID for a malformed digest parameter', async () => {
    const session = await startUpload(main.url, 'complete/baddigest');
    await expectOciError(
      await fetch(withDigest(session.url, 'sha256:nothex'), { method: 'PUT' }),
      400,
      'DIGEST_INVALID',
    );
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for a session that never existed', async () => {
    const res = await fetch(
      `${main.url}/v2/complete/body/blobs/uploads/${UNKNOWN_UUID}?digest=${sha256(Buffer.from(''))}`,
      { method: 'PUT' },
    );
    await expectOciError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN when completing a session twice', async () => {
    const blob = randomBlob(10);
    const session = await startUpload(main.url, 'complete/twice');
    expect((await fetch(withDigest(session.url, blob.digest), { method: 'PUT', body: blob.bytes })).status).toBe(201);
    await expectOciError(
      await fetch(withDigest(session.url, blob.digest), { method: 'PUT', body: blob.bytes }),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });
});
