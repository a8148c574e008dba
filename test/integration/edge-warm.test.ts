/**
 * Warm (issue 4, "Operating it"): `POST /api/v0/cache/warm` pre-pulls an image, or every tag of
 * a repository, from main into the edge with the operator's credentials on main, streaming one
 * NDJSON line per blob and a summary. Main here requires authentication.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { createLogger } from '../../src/log/logger.js';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomUUID } from 'node:crypto';
import { blobOf, imageManifest, indexManifest, randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';
const ADMIN = { username: 'admin', password: TEST_ADMIN_PASSWORD };

let main: TestMain;
let edge: TestEdge;
let secrets: TempDir;
let tokenFile: string;
const logLines: string[] = [];

interface Image {
  manifest: Blob;
  blobs: Blob[];
}

async function push(path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${main.url}${path}`, {
    method: path.includes('/manifests/') ? 'PUT' : 'POST',
    body,
    headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD), ...headers },
  });
  expect(res.status, await res.text()).toBe(201);
}

/** A config of its own for every image, so that images share only the layers a test shares. */
const uniqueConfig = (architecture: string) =>
  blobOf(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        config: { Labels: { id: randomUUID() } },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );

async function pushImage(
  repo: string,
  tag: string | undefined,
  layers: Blob[],
  architecture = 'amd64',
): Promise<Image> {
  const manifest = imageManifest({ layers, config: uniqueConfig(architecture) });
  const blobs = [manifest.config, ...layers];
  for (const blob of blobs) await push(`/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, blob.bytes);
  await push(`/v2/${repo}/manifests/${tag ?? manifest.digest}`, manifest.bytes, { 'Content-Type': manifest.mediaType });
  return { manifest, blobs };
}

let app1: Image;
let app2: Image;
let multi: { index: Blob; images: Image[] };

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  secrets = await createTempDir('outpost-edge-warm-');
  tokenFile = join(secrets.path, 'admin-token');
  await writeFile(tokenFile, OPERATOR_TOKEN);
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    flags: { adminTokenFile: tokenFile },
    logger: createLogger({ level: 'debug', write: (line) => void logLines.push(line) }),
  });
  const shared = randomBlob(300_000);
  app1 = await pushImage('team/app', '1.0', [shared, randomBlob(2 * 1024 * 1024)]);
  app2 = await pushImage('team/app', '2.0', [shared, randomBlob(5000)]);
  const base = randomBlob(40_000);
  const images = [
    await pushImage('team/multi', undefined, [base, randomBlob(1000)], 'amd64'),
    await pushImage('team/multi', undefined, [base, randomBlob(2000)], 'arm64'),
  ];
  const index = indexManifest(images.map((i) => i.manifest));
  await push(`/v2/team/multi/manifests/latest`, index.bytes, { 'Content-Type': index.mediaType });
  multi = { index, images };
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
  await secrets?.remove();
});

type Line = Record<string, unknown> & { type: string; digest?: string; status?: string };

async function warm(body: unknown, target: TestEdge = edge): Promise<Response> {
  return fetch(`${target.url}/api/v0/cache/warm`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function warmLines(body: unknown, target: TestEdge = edge): Promise<Line[]> {
  const res = await warm(body, target);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-ndjson');
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const statusOf = (lines: Line[]) =>
  Object.fromEntries(lines.filter((l) => l.type === 'blob').map((l) => [l.digest, l.status]));
const unique = (blobs: Blob[]) => [...new Map(blobs.map((b) => [b.digest, b])).values()];

describe('POST /api/v0/cache/warm', () => {
  it('pulls every blob of an image by tag, with one line per blob and a summary last', async () => {
    const lines = await warmLines({ reference: 'team/app:1.0', ...ADMIN });
    expect(lines.slice(0, -1)).toEqual(
      app1.blobs.map((b) => ({ type: 'blob', digest: b.digest, size: b.size, status: 'cached' })),
    );
    expect(lines.at(-1)).toEqual({
      type: 'summary',
      reference: 'team/app:1.0',
      manifests: 1,
      blobs: 3,
      cached: 3,
      alreadyCached: 0,
      failed: 0,
      bytes: app1.blobs.reduce((n, b) => n + b.size, 0),
    });
    for (const blob of app1.blobs) expect(edge.service.cache.has(blob.digest as Digest)).toBe(true);
  });

  it('leaves blobs a client then pulls as hits, served without main', async () => {
    const hits = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="hit"}');
    for (const blob of app1.blobs) {
      const token = await signRedirectToken(main, { repository: 'team/app', digest: blob.digest, audience: ['eu'] });
      const res = await fetch(edgeBlobUrl(edge.url, 'team/app', blob.digest, token));
      expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="hit"}')).toBe(hits + app1.blobs.length);
  });

  it('reports blobs that are already cached as already-cached', async () => {
    const lines = await warmLines({ reference: 'team/app:1.0', ...ADMIN });
    expect(Object.values(statusOf(lines))).toEqual(['already-cached', 'already-cached', 'already-cached']);
    expect(lines.at(-1)).toMatchObject({ cached: 0, alreadyCached: 3, bytes: 0 });
  });

  it('warms every tag of a repository given by name alone, each blob once', async () => {
    const lines = await warmLines({ reference: 'team/app', ...ADMIN });
    const expected = unique([...app1.blobs, ...app2.blobs]);
    expect(Object.keys(statusOf(lines)).sort()).toEqual(expected.map((b) => b.digest).sort());
    expect(lines.at(-1)).toMatchObject({ manifests: 2, blobs: 5, cached: 2, alreadyCached: 3, failed: 0 });
  });

  it("follows an index to every platform's manifest", async () => {
    const lines = await warmLines({ reference: 'team/multi:latest', ...ADMIN });
    const expected = unique(multi.images.flatMap((i) => i.blobs));
    expect(Object.keys(statusOf(lines)).sort()).toEqual(expected.map((b) => b.digest).sort());
    expect(lines.at(-1)).toMatchObject({ manifests: 3, blobs: 5, cached: 5, failed: 0 });
  });

  it('takes a manifest digest as the reference, and pins every blob when asked', async () => {
    const image = await pushImage('team/pinned', 'v1', [randomBlob(1234)]);
    const lines = await warmLines({ reference: `team/pinned@${image.manifest.digest}`, pin: true, ...ADMIN });
    for (const line of lines.slice(0, -1)) expect(line).toMatchObject({ status: 'cached', pinned: true });
    for (const blob of image.blobs) expect(edge.service.index.get(blob.digest as Digest)?.pinned).toBe(true);
  });

  it('reports a blob that cannot be kept as failed, with the reason, and goes on with the others', async () => {
    const small = await startTestEdge({
      name: 'eu',
      upstream: main.url,
      issuer: main.url,
      flags: { adminTokenFile: tokenFile, maxBytes: '1MiB' },
    });
    try {
      const lines = await warmLines({ reference: 'team/app:1.0', ...ADMIN }, small);
      const big = app1.blobs[2]!;
      expect(lines.find((l) => l.digest === big.digest)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/does not fit/),
      });
      expect(lines.at(-1)).toMatchObject({ cached: 2, failed: 1 });
    } finally {
      await small.stop();
    }
  });

  it('pulls from main even when the edge pulls misses through another edge', async () => {
    const asia = await startTestEdge({
      name: 'asia',
      upstream: edge.url,
      issuer: main.url,
      flags: { adminTokenFile: tokenFile },
    });
    try {
      const image = await pushImage('team/far', 'v1', [randomBlob(4096)]);
      const lines = await warmLines({ reference: 'team/far:v1', ...ADMIN }, asia);
      expect(lines.at(-1)).toMatchObject({ cached: 2, failed: 0 });
      for (const blob of image.blobs)
        expect([asia.service.cache.has(blob.digest as Digest), edge.service.cache.has(blob.digest as Digest)]).toEqual([
          true,
          false,
        ]);
    } finally {
      await asia.stop();
    }
  });
});

describe('POST /api/v0/cache/warm refusals', () => {
  it('answers 403 DENIED when main refuses the credentials, or none are given for a private repository', async () => {
    await expectOciError(
      await warm({ reference: 'team/app:1.0', username: 'admin', password: 'wrong-password' }),
      403,
      'DENIED',
    );
    await expectOciError(await warm({ reference: 'team/app:1.0' }), 403, 'DENIED');
  });

  it('answers 404 MANIFEST_UNKNOWN for a tag main does not have', async () => {
    await expectOciError(await warm({ reference: 'team/app:9.9', ...ADMIN }), 404, 'MANIFEST_UNKNOWN');
  });

  it('answers 400 for a malformed reference or body', async () => {
    await expectOciError(await warm({ reference: 'Team/App:1.0', ...ADMIN }), 400, 'NAME_INVALID');
    await expectOciError(await warm({ reference: 'team/app@sha256:abc', ...ADMIN }), 400, 'DIGEST_INVALID');
    await expectOciError(await warm('not json'), 400, 'UNSUPPORTED');
    await expectOciError(await warm({ username: 'admin', password: 'x' }), 400, 'UNSUPPORTED');
    await expectOciError(await warm({ reference: 'team/app:1.0', username: 'admin' }), 400, 'UNSUPPORTED');
  });

  it('never writes the credentials to a log line', () => {
    const all = logLines.join('');
    expect(all).toContain('warm finished');
    expect(all).not.toContain(TEST_ADMIN_PASSWORD);
    expect(all).not.toContain('wrong-password');
    expect(all).not.toContain(Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64'));
  });
});

describe('POST /api/v0/cache/resolve', () => {
  it("lists an image's manifests and blobs without pulling anything", async () => {
    const image = await pushImage('team/listed', 'v1', [randomBlob(777)]);
    const res = await fetch(`${edge.url}/api/v0/cache/resolve`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: JSON.stringify({ reference: 'team/listed:v1', ...ADMIN }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      reference: 'team/listed:v1',
      manifests: [image.manifest.digest],
      blobs: image.blobs.map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType })),
    });
    for (const blob of image.blobs) expect(edge.service.cache.has(blob.digest as Digest)).toBe(false);
  });
});

describe('warm against an open main', () => {
  it('needs no credentials, and answers 503 UNAVAILABLE once main is down', async () => {
    const open = await startTestMain();
    const openEdge = await startTestEdge({
      name: 'eu',
      upstream: open.url,
      issuer: open.url,
      flags: { adminTokenFile: tokenFile },
    });
    try {
      const layer = randomBlob(100);
      const manifest = imageManifest({ layers: [layer] });
      for (const blob of [manifest.config, layer]) {
        await fetch(`${open.url}/v2/lib/tool/blobs/uploads/?digest=${blob.digest}`, {
          method: 'POST',
          body: blob.bytes,
        });
      }
      await fetch(`${open.url}/v2/lib/tool/manifests/v1`, {
        method: 'PUT',
        body: manifest.bytes,
        headers: { 'Content-Type': manifest.mediaType },
      });
      const lines = await warmLines({ reference: 'lib/tool:v1' }, openEdge);
      expect(lines.at(-1)).toMatchObject({ cached: 2, failed: 0 });
      await open.stop();
      await expectOciError(await warm({ reference: 'lib/tool:v1' }, openEdge), 503, 'UNAVAILABLE');
    } finally {
      await openEdge.stop();
    }
  });
});
