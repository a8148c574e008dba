/**
 * Issue 9, item 6 (the edge's part): an LMDB commit that fails (disk full, I/O error) answered
 * 500 and left an unhandled rejection that ends the process.
 *
 * What holds now, on an edge whose data directory is a full 1 MiB tmpfs: an operator write
 * (a pin) answers 503 UNAVAILABLE saying the index could not be written and changes nothing,
 * cached blobs are still served, a miss streams through, no rejection goes unhandled, and the
 * same writes work once space is freed. (Every index write path on a full disk:
 * 11-edge-index-writes-all-or-nothing.test.ts.)
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import type { Digest } from '../../src/oci/digest.js';
import { CacheIndexWriteError } from '../../edge/cache/cache-index.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';
const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';

let main: TestMain;
let edge: TestEdge;
let secrets: TempDir;
let disk: SmallDisk;
let mountPoint: string;
let cached: Blob;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  disk = await mountSmallDisk('outpost-edge-index-full-', '1m');
  mountPoint = disk.path;
  secrets = await createTempDir('outpost-edge-index-secrets-');
  const tokenFile = join(secrets.path, 'admin-token');
  await writeFile(tokenFile, OPERATOR_TOKEN);
  main = await startTestMain();
  const flags = { adminTokenFile: tokenFile };
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: mountPoint, flags });
  cached = randomBlob(20 * 1024);
  await pushBlob(main.url, REPO, cached);
  expect((await get(cached)).bytes.equals(cached.bytes)).toBe(true);
  // Committed after its client had every byte: indexed before the disk fills.
  await edge.service.cache.settled();
  await fillDisk();
});
afterAll(async () => {
  await edge?.stop().catch(() => {});
  await main?.stop();
  await secrets?.remove();
  await disk?.remove();
  process.off('unhandledRejection', onUnhandled);
});

async function get(blob: Blob): Promise<{ status: number; bytes: Buffer; error?: Error }> {
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
  const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token));
  return { status: res.status, ...(await readBody(res)) };
}

const admin = (method: string, path: string) =>
  fetch(`${edge.url}/api/v0/cache${path}`, { method, headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } });

/** Fills the tmpfs, then writes throwaway index entries until LMDB has no free page left. */
async function fillDisk(): Promise<void> {
  await writeFile(join(mountPoint, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOSPC') throw err;
  });
  for (let i = 0; i < 200; i++) {
    try {
      await edge.service.index.add(`sha256:${String(i).padStart(64, 'f')}` as Digest, 1, 1);
    } catch (err) {
      if (err instanceof CacheIndexWriteError) return;
      throw err;
    }
  }
  throw new Error('the index never ran out of space');
}

describe('an edge whose index cannot be written (disk full)', () => {
  it('answers a pin with 503 UNAVAILABLE saying why, and changes nothing', async () => {
    const error = await expectOciError(await admin('PUT', `/pins/${cached.digest}`), 503, 'UNAVAILABLE');
    expect(error.message).toBe('the cache index could not be written (pin); nothing was changed, try again later');
    expect(error.detail).toMatchObject({ reason: 'OUTPOST_INDEX_WRITE_FAILED' });
    expect(edge.service.index.get(cached.digest as Digest)?.pinned).toBe(false);
  });

  it('still serves what it has cached', async () => {
    const served = await get(cached);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(cached.bytes)).toBe(true);
  });

  it('streams a miss through to the client, and keeps running without an unhandled rejection', async () => {
    const blob = randomBlob(300 * 1024);
    await pushBlob(main.url, REPO, blob);
    const served = await get(blob);
    expect(served.status).toBe(200);
    expect(served.error).toBeUndefined();
    expect(served.bytes.equals(blob.bytes)).toBe(true);
    expect(edge.service.cache.has(blob.digest as Digest)).toBe(false);
    expect((await fetch(`${edge.url}/health`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});

describe('once space is freed', () => {
  it('pins and purges again', async () => {
    await rm(join(mountPoint, 'filler'));
    expect((await admin('PUT', `/pins/${cached.digest}`)).status).toBe(200);
    expect(edge.service.index.get(cached.digest as Digest)?.pinned).toBe(true);
    expect((await admin('DELETE', `/blobs/${cached.digest}`)).status).toBe(204);
    expect(edge.service.cache.has(cached.digest as Digest)).toBe(false);
    expect(unhandled).toEqual([]);
  });
});
