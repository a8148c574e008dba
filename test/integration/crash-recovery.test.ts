/**
 * Crash safety of pushes (DESIGN.md section 4, "Nothing lost, nothing corrupt"): main, run from
 * the built CLI, is killed with SIGKILL while upload bodies are in flight, restarted on the same
 * data directory, and must serve only verified content and let the interrupted pushes finish.
 *
 * Run `npm run build` first: these tests spawn dist/bin/outpost.js.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { openRequest, type OpenRequest } from '../helpers/streamed-requests.js';
import { spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const MiB = 1 << 20;

/** Sizes of the files in `dir` (files may vanish while we look). */
async function fileSizes(dir: string): Promise<number[]> {
  const sizes: number[] = [];
  for (const name of await readdir(dir)) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info) sizes.push(info.size);
  }
  return sizes;
}

async function getBlob(base: string, repo: string, digest: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** PATCH of `bytes` at `offset` into a session, with the spec's Content-Range. */
function patchChunk(base: string, location: string, bytes: Uint8Array, offset: number): Promise<Response> {
  return fetch(`${base}${location}`, {
    method: 'PATCH',
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${offset}-${offset + bytes.byteLength - 1}`,
    },
    body: bytes,
  });
}

async function stopGracefully(main: SpawnedMain): Promise<number | string> {
  main.child.kill('SIGTERM');
  return main.exited;
}

describe('kill -9 while upload bodies are in flight, then a restart on the same data directory', () => {
  const committed = randomBlob(MiB);
  const chunked = randomBlob(4 * MiB);
  const single = randomBlob(4 * MiB);
  // Bytes of `chunked` acknowledged (202) before the crash: the session's durable offset.
  const durable = MiB;
  let data: TempDir;
  let main: SpawnedMain;
  let location: string;
  let sessionFile: string;
  let tmpDir: string;

  beforeAll(async () => {
    data = await createTempDir('outpost-crash-');
    tmpDir = join(data.path, 'tmp');
    const first = await spawnMain(data.path);

    await pushBlob(first.url, 'crash/committed', committed);

    const start = await fetch(`${first.url}/v2/crash/chunked/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    location = start.headers.get('location')!;
    sessionFile = join(data.path, 'uploads', start.headers.get('docker-upload-uuid')!);
    expect((await patchChunk(first.url, location, chunked.bytes.subarray(0, durable), 0)).status).toBe(202);

    // The second chunk is announced whole but only partly sent, and stays in flight.
    const secondChunk: OpenRequest = openRequest(`${first.url}${location}`, 'PATCH', {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${durable}-${chunked.size - 1}`,
      'Content-Length': String(chunked.size - durable),
    });
    await secondChunk.write(chunked.bytes.subarray(durable, durable + 1.5 * MiB));
    await waitFor(async () => (await stat(sessionFile)).size > durable, 'the second chunk to reach the session file');

    const whole: OpenRequest = openRequest(
      `${first.url}/v2/crash/single/blobs/uploads/?digest=${single.digest}`,
      'POST',
      {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(single.size),
      },
    );
    await whole.write(single.bytes.subarray(0, 2 * MiB));
    await waitFor(
      async () => (await fileSizes(tmpDir)).some((size) => size > 0),
      'the single-request body to reach tmp/',
    );

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await secondChunk.outcome).toHaveProperty('error');
    expect(await whole.outcome).toHaveProperty('error');

    // The crash left what it should for recovery to deal with: a temporary file and a torn tail.
    expect((await readdir(tmpDir)).length).toBeGreaterThan(0);
    expect((await stat(sessionFile)).size).toBeGreaterThan(durable);

    main = await spawnMain(data.path);
  });

  afterAll(async () => {
    if (main) await stopGracefully(main);
    await data?.remove();
  });

  it('still serves a blob that was committed before the crash', async () => {
    const { status, bytes } = await getBlob(main.url, 'crash/committed', committed.digest);
    expect(status).toBe(200);
    expect(sha256(bytes)).toBe(committed.digest);
  });

  it('makes neither interrupted blob visible: HEAD answers 404, GET 404 BLOB_UNKNOWN', async () => {
    for (const [repo, blob] of [
      ['crash/chunked', chunked],
      ['crash/single', single],
    ] as Array<[string, Blob]>) {
      const head = await fetch(`${main.url}/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
      await expectOciError(await fetch(`${main.url}/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    }
  });

  it('removes the interrupted single-request upload from tmp/ at start-up', async () => {
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('reports the chunked session at its durable offset: 204 with Range 0-<last acknowledged byte>', async () => {
    const res = await fetch(`${main.url}${location}`);
    expect(res.status).toBe(204);
    expect(res.headers.get('range')).toBe(`0-${durable - 1}`);
    expect(res.headers.get('location')).toBe(location);
  });

  it('resumes the chunked session from that offset and completes it with the right digest', async () => {
    const rest = await patchChunk(main.url, location, chunked.bytes.subarray(durable), durable);
    expect(rest.status).toBe(202);
    expect(rest.headers.get('range')).toBe(`0-${chunked.size - 1}`);

    const done = await fetch(`${main.url}${location}?digest=${chunked.digest}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(done.headers.get('docker-content-digest')).toBe(chunked.digest);

    const { status, bytes } = await getBlob(main.url, 'crash/chunked', chunked.digest);
    expect(status).toBe(200);
    expect(bytes.byteLength).toBe(chunked.size);
    expect(sha256(bytes)).toBe(chunked.digest);
    await expect(stat(sessionFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepts a fresh single-request push of the interrupted blob', async () => {
    await pushBlob(main.url, 'crash/single', single);
    const { status, bytes } = await getBlob(main.url, 'crash/single', single.digest);
    expect(status).toBe(200);
    expect(sha256(bytes)).toBe(single.digest);
  });
});

describe('a clean restart (SIGTERM)', () => {
  it('keeps an upload session, which then resumes at its offset and completes', async () => {
    const data = await createTempDir('outpost-restart-');
    const blob = randomBlob(3 * MiB);
    try {
      const first = await spawnMain(data.path);
      const start = await fetch(`${first.url}/v2/restart/app/blobs/uploads/`, { method: 'POST' });
      expect(start.status).toBe(202);
      const location = start.headers.get('location')!;
      expect((await patchChunk(first.url, location, blob.bytes.subarray(0, MiB), 0)).status).toBe(202);
      expect(await stopGracefully(first)).toBe(0);

      const second = await spawnMain(data.path);
      try {
        const status = await fetch(`${second.url}${location}`);
        expect(status.status).toBe(204);
        expect(status.headers.get('range')).toBe(`0-${MiB - 1}`);

        // The last chunk comes with the completing PUT, as the spec allows.
        const done = await fetch(`${second.url}${location}?digest=${blob.digest}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: blob.bytes.subarray(MiB),
        });
        expect(done.status).toBe(201);
        const { status: getStatus, bytes } = await getBlob(second.url, 'restart/app', blob.digest);
        expect(getStatus).toBe(200);
        expect(sha256(bytes)).toBe(blob.digest);
      } finally {
        expect(await stopGracefully(second)).toBe(0);
      }
    } finally {
      await data.remove();
    }
  });
});
