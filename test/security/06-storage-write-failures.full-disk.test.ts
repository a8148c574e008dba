/**
 * Issue 9, item 6: a failed storage write (disk full, I/O error) killed main: the request got
 * 500 and the process then exited on an unhandled rejection (lmdb-js rejects the promises of
 * every write of a failed commit, awaited or not, and an internal `commitError` promise).
 *
 * The disk is really full here: main's data directory is a small tmpfs (mounting needs root or
 * CAP_SYS_ADMIN, as in CI), filled to the last block by a file the test then removes.
 */
import { createHash } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { imageManifest, randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushImage, putManifest, startUpload, withDigest } from '../helpers/registry-http.js';
import { spawnMain, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import { toOciError } from '../../src/http/error-handler.js';

let temp: SmallDisk;
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  temp = await mountSmallDisk('outpost-full-', '6m');
  unhandled.length = 0;
  process.on('unhandledRejection', recordUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', recordUnhandled);
  await temp.remove();
});

/** Writes a file until the file system refuses another byte; returns its path. */
async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        const written = await file.write(chunk, 0, size).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOSPC') return undefined;
          throw err;
        });
        if (!written) break;
      }
    }
  } finally {
    await file.close();
  }
  return path;
}

/** Lets rejections of a failed commit surface (they settle within a few turns of the loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('storage writes on a full disk', () => {
  let main: TestMain;
  beforeEach(async () => {
    main = await startTestMain({ dataDir: temp.path });
  });
  afterEach(async () => {
    await main.stop();
  });

  it('answers 507 UNAVAILABLE to a manifest put, stays up, serves reads, accepts it once space is back', async () => {
    const pushed = await pushImage(main.url, 'team/app', 'v1');
    const filler = await fillDisk(temp.path);

    // Large enough that LMDB must grow its file to store it.
    const { config } = pushed.manifest;
    const manifest = imageManifest({ config, layers: pushed.layers, annotations: { big: 'x'.repeat(200_000) } });
    const entry = await expectOciError(await putManifest(main.url, 'team/app', 'v2', manifest), 507, 'UNAVAILABLE');
    expect(entry.message).toMatch(/storage is full/);
    await settle();
    expect(unhandled).toEqual([]);

    // Reads go on: the manifest and its layers.
    const accept = { Accept: manifest.mediaType };
    expect((await fetch(`${main.url}/v2/team/app/manifests/v1`, { headers: accept })).status).toBe(200);
    const layer = await fetch(`${main.url}/v2/team/app/blobs/${pushed.layers[0]!.digest}`);
    expect(Buffer.from(await layer.arrayBuffer()).equals(Buffer.from(pushed.layers[0]!.bytes))).toBe(true);

    await rm(filler);
    expect((await putManifest(main.url, 'team/app', 'v2', manifest)).status).toBe(201);
    expect(unhandled).toEqual([]);
  });

  it('answers a web sign-in, which writes a session, with a 507 page while the disk is full', async () => {
    const web = new WebClient(main.url);
    const filler = await fillDisk(temp.path);
    const page = await web.submit('/sign-in', '/sign-in', { username: 'admin', password: TEST_ADMIN_PASSWORD });
    expect(page.status).toBe(507);
    expect(textOf(page.html)).toMatch(/storage is full: nothing was saved/);
    await settle();
    expect(unhandled).toEqual([]);
    await rm(filler);
    await web.signInAsAdmin();
  });

  it('answers 507 to a PATCH that fills the disk, cuts its torn tail at once, resumes once space is back', async () => {
    const first = randomBlob(100 * 1024);
    const rest = randomBlob(2 * 1024 * 1024);
    const [firstSize, restSize] = [first.bytes.length, rest.bytes.length];
    const session = await startUpload(main.url, 'team/big');
    const headers = (start: number, length: number) => ({
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${start}-${start + length - 1}`,
    });
    const ok = await fetch(session.url, { method: 'PATCH', headers: headers(0, firstSize), body: first.bytes });
    expect(ok.status).toBe(202);
    const filler = await fillDisk(temp.path);
    // Leave room for part of the chunk, so that a torn tail is really written before ENOSPC.
    const handle = await open(filler, 'r+');
    await handle.truncate((await stat(filler)).size - 512 * 1024);
    await handle.close();

    const restHeaders = headers(firstSize, restSize);
    const full = await fetch(session.url, { method: 'PATCH', headers: restHeaders, body: rest.bytes });
    const entry = await expectOciError(full, 507, 'UNAVAILABLE');
    expect(entry.message).toMatch(/storage is full/);
    expect((await stat(join(temp.path, 'uploads', session.uuid))).size).toBe(first.bytes.length);
    await settle();
    expect(unhandled).toEqual([]);

    await rm(filler);
    const status = await fetch(session.url);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${first.bytes.length - 1}`);
    const whole = Buffer.concat([first.bytes, rest.bytes]);
    const digest = `sha256:${createHash('sha256').update(whole).digest('hex')}`;
    const completeUrl = withDigest(session.url, digest);
    const done = await fetch(completeUrl, { method: 'PUT', headers: restHeaders, body: rest.bytes });
    expect(done.status, await done.text()).toBe(201);
  });
});

describe('outpost main (the built CLI) on a full disk', () => {
  it('keeps running after a failed commit, answers the next requests, and stops on a full disk', async () => {
    const spawned = await spawnMain(temp.path);
    try {
      const pushed = await pushImage(spawned.url, 'team/app', 'v1');
      const filler = await fillDisk(temp.path);
      const { config } = pushed.manifest;
      const big = imageManifest({ config, layers: pushed.layers, annotations: { big: 'x'.repeat(200_000) } });
      await expectOciError(await putManifest(spawned.url, 'team/app', 'v2', big), 507, 'UNAVAILABLE');
      await expectOciError(await putManifest(spawned.url, 'team/app', 'v3', big), 507, 'UNAVAILABLE');
      const v1 = await fetch(`${spawned.url}/v2/team/app/manifests/v1`, { headers: { Accept: big.mediaType } });
      expect(v1.status).toBe(200);
      await rm(filler);
      expect((await putManifest(spawned.url, 'team/app', 'v2', big)).status).toBe(201);
      expect(spawned.child.exitCode).toBeNull();
      expect(spawned.logs()).not.toMatch(/unhandled|Unhandled/);

      // Stopped while the disk is still full after a failed commit: it stops, cleanly.
      await fillDisk(temp.path);
      await expectOciError(await putManifest(spawned.url, 'team/app', 'v4', big), 507, 'UNAVAILABLE');
      spawned.child.kill('SIGTERM');
      expect(await spawned.exited).toBe(0);
      expect(spawned.logs()).toMatch(/main registry stopped/);
    } finally {
      if (spawned.child.exitCode === null) spawned.child.kill('SIGTERM');
      await spawned.exited;
    }
  });
});

describe('the answer to a storage failure (src/http/error-handler.ts)', () => {
  it('is 507 UNAVAILABLE for a full disk or quota, 503 UNAVAILABLE for an I/O error or read-only disk', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const oci = toOciError(Object.assign(new Error('write failed'), { code }));
      expect(oci?.toJSON().errors[0]?.code).toBe('UNAVAILABLE');
      expect(oci?.status).toBe(507);
    }
    for (const code of ['EIO', 'EROFS']) {
      const oci = toOciError(Object.assign(new Error('write failed'), { code }));
      const entry = oci?.toJSON().errors[0];
      expect(entry).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/storage failed to write/) });
      expect(oci?.status).toBe(503);
    }
    expect(toOciError(new Error('a bug'))).toBeUndefined();
  });
});
