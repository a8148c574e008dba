/**
 * The operator's API on an edge, `/api/v0/cache` (edge/routes/admin.ts): only with the operator
 * token from the edge's token file; stats, pin and unpin, purge. Warm has its own file.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';
const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';

let main: TestMain;
let edge: TestEdge;
let secrets: TempDir;
let blobs: Blob[];

beforeAll(async () => {
  main = await startTestMain();
  secrets = await createTempDir('outpost-edge-admin-');
  const tokenFile = join(secrets.path, 'admin-token');
  await writeFile(tokenFile, `${OPERATOR_TOKEN}\n`, { mode: 0o600 });
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    flags: { adminTokenFile: tokenFile, maxBytes: '1GiB' },
  });
  blobs = [randomBlob(1000), randomBlob(2 * 1024 * 1024), randomBlob(3000)];
  for (const blob of blobs) {
    await pushBlob(main.url, REPO, blob);
    await pull(blob);
  }
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
  await secrets?.remove();
});

/** Pulls `blob` through the edge, then waits until it is committed (after its client had every byte). */
async function pull(blob: Blob): Promise<Buffer> {
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
  const bytes = Buffer.from(await (await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token))).arrayBuffer());
  await edge.service.cache.settled();
  return bytes;
}

const admin = (path: string, init: RequestInit = {}, token = OPERATOR_TOKEN) =>
  fetch(`${edge.url}/api/v0/cache${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });

const stats = async () => (await (await admin('/stats')).json()) as Record<string, unknown>;

describe('the operator token', () => {
  it('is required: without it every admin route answers 401 UNAUTHORIZED with a Bearer challenge', async () => {
    for (const [method, path] of [
      ['GET', '/stats'],
      ['POST', '/warm'],
      ['PUT', `/pins/${blobs[0]!.digest}`],
      ['DELETE', `/blobs/${blobs[0]!.digest}`],
    ] as const) {
      const res = await fetch(`${edge.url}/api/v0/cache${path}`, { method });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="outpost-edge"');
      await expectOciError(res, 401, 'UNAUTHORIZED');
    }
    expect(edge.service.cache.has(blobs[0]!.digest as Digest)).toBe(true);
  });

  it('must match: a wrong token, a prefix of it, or Basic credentials are refused', async () => {
    await expectOciError(await admin('/stats', {}, 'wrong-token-0123456789abcdef'), 401, 'UNAUTHORIZED');
    await expectOciError(await admin('/stats', {}, OPERATOR_TOKEN.slice(0, -1)), 401, 'UNAUTHORIZED');
    const basic = await fetch(`${edge.url}/api/v0/cache/stats`, {
      headers: { Authorization: basicAuth('admin', OPERATOR_TOKEN) },
    });
    await expectOciError(basic, 401, 'UNAUTHORIZED');
  });

  it('turns the admin API off when no token file is configured', async () => {
    const plain = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
    try {
      await expectOciError(
        await fetch(`${plain.url}/api/v0/cache/stats`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } }),
        404,
        'UNSUPPORTED',
      );
    } finally {
      await plain.stop();
    }
  });

  it('must be at least 16 characters, or the edge refuses to start', async () => {
    const short = join(secrets.path, 'short-token');
    await writeFile(short, 'too-short\n');
    await expect(
      startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, flags: { adminTokenFile: short } }),
    ).rejects.toThrow(/at least 16 characters/);
  });
});

describe('GET /api/v0/cache/stats', () => {
  it("reports the cache's name, blobs, bytes, budget, pins and hits", async () => {
    await pull(blobs[0]!);
    await pull(blobs[0]!);
    const body = await stats();
    expect(body).toEqual({
      name: 'eu',
      blobs: 3,
      bytes: blobs.reduce((n, b) => n + b.size, 0),
      maxBytes: 1024 ** 3,
      pinned: 0,
      hits: 2,
    });
  });
});

describe('PUT and DELETE /api/v0/cache/pins/<digest>', () => {
  it('pins a cached blob and unpins it again', async () => {
    const digest = blobs[1]!.digest;
    const pinned = await admin(`/pins/${digest}`, { method: 'PUT' });
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toEqual({ digest, pinned: true });
    expect(edge.service.index.get(digest as Digest)?.pinned).toBe(true);
    expect((await stats()).pinned).toBe(1);

    const unpinned = await admin(`/pins/${digest}`, { method: 'DELETE' });
    expect(unpinned.status).toBe(200);
    expect(await unpinned.json()).toEqual({ digest, pinned: false });
    expect(edge.service.index.get(digest as Digest)?.pinned).toBe(false);
    expect((await stats()).pinned).toBe(0);
  });

  it('answers 404 BLOB_UNKNOWN for a blob not cached, and 400 DIGEST_INVALID for a malformed digest', async () => {
    await expectOciError(await admin(`/pins/${randomBlob(5).digest}`, { method: 'PUT' }), 404, 'BLOB_UNKNOWN');
    await expectOciError(await admin(`/pins/${randomBlob(5).digest}`, { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
    await expectOciError(await admin('/pins/sha256:nothex', { method: 'PUT' }), 400, 'DIGEST_INVALID');
  });
});

describe('DELETE /api/v0/cache/blobs/<digest>', () => {
  it('purges a cached blob from index and disk, even a pinned one; the next pull fetches it again', async () => {
    const blob = blobs[2]!;
    await admin(`/pins/${blob.digest}`, { method: 'PUT' });
    const before = await readMetric(edge.url, 'outpost_edge_evictions_total{reason="purge"}');
    const res = await admin(`/blobs/${blob.digest}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(edge.service.cache.has(blob.digest as Digest)).toBe(false);
    const file = join(edge.dataDir, 'blobs', 'sha256', blob.digest.slice(7, 9), blob.digest.slice(7));
    await expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readMetric(edge.url, 'outpost_edge_evictions_total{reason="purge"}')).toBe(before + 1);

    const misses = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="miss"}');
    expect((await pull(blob)).equals(blob.bytes)).toBe(true);
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="miss"}')).toBe(misses + 1);
    expect(edge.service.index.get(blob.digest as Digest)?.pinned).toBe(false);
  });

  it('answers 404 BLOB_UNKNOWN for a blob that is not cached', async () => {
    await expectOciError(await admin(`/blobs/${randomBlob(5).digest}`, { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
  });
});
