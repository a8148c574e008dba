/**
 * An upload session's status and its cancel (distribution-spec "Pushing blobs"): what GET
 * reports of a session, and DELETE ending it and only its own repository's. The pushes
 * themselves are in v2-uploads.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { randomBytes } from 'node:crypto';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, patchUpload as patch, startUpload, withDigest } from '../helpers/registry-http.js';

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

describe('GET /v2/<name>/blobs/uploads/<uuid>', () => {
  it('answers 204 with Location, Range and Docker-Upload-UUID of the session', async () => {
    const session = await startUpload(main.url, 'status/ok');
    expect((await patch(session.url, randomBytes(42), '0-41')).status).toBe(202);
    const res = await fetch(session.url);
    expect(res.status).toBe(204);
    expect(res.headers.get('location')).toBe(`/v2/status/ok/blobs/uploads/${session.uuid}`);
    expect(res.headers.get('range')).toBe('0-41');
    expect(res.headers.get('docker-upload-uuid')).toBe(session.uuid);
    expect(await res.text()).toBe('');
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN once the upload is complete', async () => {
    const blob = randomBlob(10);
    const session = await startUpload(main.url, 'status/done');
    expect((await fetch(withDigest(session.url, blob.digest), { method: 'PUT', body: blob.bytes })).status).toBe(201);
    await expectOciError(await fetch(session.url), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for an unknown session', async () => {
    await expectOciError(
      await fetch(`${main.url}/v2/status/ok/blobs/uploads/${UNKNOWN_UUID}`),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });
});

describe('DELETE /v2/<name>/blobs/uploads/<uuid>', () => {
  it('cancels the session: 204, then the session and its bytes are gone', async () => {
    const session = await startUpload(main.url, 'cancel/ok');
    expect((await patch(session.url, randomBytes(100))).status).toBe(202);
    expect(await main.backend.blobArea.hasSession(session.uuid)).toBe(true);
    const res = await fetch(session.url, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await main.backend.blobArea.hasSession(session.uuid)).toBe(false);
    await expectOciError(await fetch(session.url), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await patch(session.url, randomBytes(5)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for an unknown session', async () => {
    await expectOciError(
      await fetch(`${main.url}/v2/cancel/ok/blobs/uploads/${UNKNOWN_UUID}`, { method: 'DELETE' }),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });

  it('answers 404 BLOB_UPLOAD_UNKNOWN for a session of another repository, which stays open', async () => {
    const session = await startUpload(main.url, 'cancel/owner');
    await expectOciError(
      await fetch(`${main.url}/v2/cancel/other/blobs/uploads/${session.uuid}`, { method: 'DELETE' }),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
    expect((await fetch(session.url)).status).toBe(204);
  });
});
