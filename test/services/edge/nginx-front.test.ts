/**
 * Front mode (edge/front.ts): Debian's nginx, configured by `outpost edge nginx-config` from the
 * built CLI, terminates TLS in front of a real edge (`front: nginx`). Misses stream through nginx
 * from the edge; hits the edge authorized are sent by nginx itself from the edge's store, which
 * the test proves from both sides: the edge counts a hand-off and sends no blob byte, and
 * nginx's access log names its internal location with the blob's size sent. Refusals stay the
 * edge's, and the internal location cannot be asked for from outside.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch, type RequestInit } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../../helpers/edge.js';
import { freePort, runNginx, type RunningNginx } from '../../helpers/nginx.js';
import { randomBlob, type Blob } from '../../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../../helpers/registry-http.js';
import { OUTPOST_BIN, startTestMain, type TestMain } from '../../helpers/servers.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const MiB = 1 << 20;
const REPO = 'team/app';
const CERT = fileURLToPath(new URL('../../helpers/tls/test-cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../../helpers/tls/test-key.pem', import.meta.url));

let main: TestMain;
let edge: TestEdge;
let nginx: RunningNginx;
let nginxDir: TempDir;
let frontUrl: string;
let client: Agent;

/** `outpost edge nginx-config <args>` from dist/: its stdout, or a failure with its stderr. */
async function printNginxConfig(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [OUTPOST_BIN, 'edge', 'nginx-config', ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`outpost edge nginx-config exited with ${code}: ${stderr}`);
  return stdout;
}

beforeAll(async () => {
  main = await startTestMain();
  const frontPort = await freePort();
  frontUrl = `https://127.0.0.1:${frontPort}`;
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    flags: { front: 'nginx', publicUrl: frontUrl },
  });
  nginxDir = await createTempDir('outpost-nginx-front-');
  const config = await printNginxConfig([
    ...['--data', edge.dataDir, '--listen', `127.0.0.1:${edge.service.server.port}`],
    ...['--front-listen', `127.0.0.1:${frontPort}`, '--tls-cert', CERT, '--tls-key', KEY],
    ...['--nginx-dir', nginxDir.path, '--user', userInfo().username],
  ]);
  const confPath = join(nginxDir.path, 'nginx.conf');
  await writeFile(confPath, config);
  client = new Agent({ connect: { ca: await readFile(CERT, 'utf8') } });
  nginx = await runNginx(
    confPath,
    nginxDir.path,
    () =>
      get(`${frontUrl}/v2/`).then(
        (res) => res.ok,
        () => false,
      ),
    ['-g', 'daemon off;'],
  );
});
afterAll(async () => {
  await nginx?.stop();
  await client?.close();
  await edge?.stop();
  await main?.stop();
  await nginxDir?.remove();
});

/** A request to nginx over TLS, trusting the test certificate. */
function get(url: string, init: RequestInit = {}): Promise<Response> {
  return undiciFetch(url, { ...init, dispatcher: client }) as unknown as Promise<Response>;
}

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

/** The URL main's 307 hands out, on nginx: the edge's public URL. */
async function frontBlobUrl(blob: Blob): Promise<string> {
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
  return `${frontUrl}/v2/${REPO}/blobs/${blob.digest}?token=${token}`;
}

const edgeMetric = (series: string) => readMetric(edge.service.server.url, series);
const counters = async () => ({
  hits: await edgeMetric('outpost_edge_blob_requests_total{result="hit"}'),
  misses: await edgeMetric('outpost_edge_blob_requests_total{result="miss"}'),
  handOffs: await edgeMetric('outpost_edge_front_handoffs_total'),
  servedBytes: await edgeMetric('outpost_edge_served_bytes_total'),
});

/** nginx's access log lines so far (written when each response is done). */
async function accessLog(): Promise<string[]> {
  return (await readFile(join(nginxDir.path, 'access.log'), 'utf8')).split('\n').filter(Boolean);
}

function expectBlobHeaders(res: Response, blob: Blob, length = blob.size): void {
  expect(res.headers.get('content-length')).toBe(String(length));
  expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
  expect(res.headers.get('etag')).toBe(`"${blob.digest}"`);
  expect(res.headers.get('accept-ranges')).toBe('bytes');
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  expect(res.headers.get('x-accel-redirect')).toBeNull();
}

const storePath = (blob: Blob) => {
  const hex = blob.digest.slice('sha256:'.length);
  return `/_outpost_blobs/sha256/${hex.slice(0, 2)}/${hex}`;
};

describe('an edge in front mode behind nginx, GET /v2/<name>/blobs/<digest>', () => {
  // 100 B is a memory hit (the second hit on the edge's fast path); 3 MiB is read from disk.
  for (const size of [100, 3 * MiB]) {
    it(`streams a ${size}-byte miss from the edge through nginx, then nginx sends hits from the store`, async () => {
      const blob = await pushed(size);
      const url = await frontBlobUrl(blob);
      const before = await counters();

      const miss = await get(url);
      expect(miss.status).toBe(200);
      expectBlobHeaders(miss, blob);
      expect(Buffer.from(await miss.arrayBuffer()).equals(blob.bytes)).toBe(true);
      // The miss is committed to the store after its last byte was sent.
      await edge.service.cache.settled();
      const afterMiss = await counters();
      expect(afterMiss.misses).toBe(before.misses + 1);
      expect(afterMiss.servedBytes).toBe(before.servedBytes + size);
      expect(afterMiss.handOffs).toBe(before.handOffs);

      for (let i = 0; i < 2; i++) {
        const hit = await get(url);
        expect(hit.status).toBe(200);
        expectBlobHeaders(hit, blob);
        expect(Buffer.from(await hit.arrayBuffer()).equals(blob.bytes)).toBe(true);
      }
      // The edge authorized both hits and sent none of their bytes; nginx sent them from its internal location.
      const afterHits = await counters();
      expect(afterHits.hits).toBe(afterMiss.hits + 2);
      expect(afterHits.handOffs).toBe(afterMiss.handOffs + 2);
      expect(afterHits.servedBytes).toBe(afterMiss.servedBytes);
      const lines = (await accessLog()).filter((line) => line.includes(blob.digest));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toContain(` 200 ${size} `);
      expect(lines[0]).toContain(`"/v2/${REPO}/blobs/${blob.digest}"`);
      for (const line of lines.slice(1)) {
        expect(line).toContain(` 200 ${size} `);
        expect(line).toContain(`"${storePath(blob)}"`);
      }
    });
  }

  it('asks the edge again when the file it was handed is gone, and the edge sends the blob itself', async () => {
    // A small blob stays in the edge's memory: removing its file by hand leaves the edge
    // handing it off, as in the moment between the edge's answer and an eviction.
    const blob = await pushed(100);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent; the first hit reads it into memory.
    await edge.service.cache.settled();
    await (await get(url)).arrayBuffer();
    const hex = blob.digest.slice('sha256:'.length);
    await rm(join(edge.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex));
    const before = await counters();

    const res = await get(url);
    expect(res.status).toBe(200);
    expectBlobHeaders(res, blob);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    const after = await counters();
    expect(after.handOffs).toBe(before.handOffs + 1);
    expect(after.servedBytes).toBe(before.servedBytes + blob.size);
    // A file gone is expected (an eviction): nginx does not log it, with the request's token.
    const token = new URL(url).searchParams.get('token')!;
    expect(await readFile(join(nginxDir.path, 'error.log'), 'utf8')).not.toContain(token);
  });

  it('does not let a client say the file was missing', async () => {
    const blob = await pushed(3 * MiB);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await edge.service.cache.settled();
    const before = await counters();
    const res = await get(url, { headers: { 'x-outpost-front-missed': '1' } });
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    const after = await counters();
    expect(after.handOffs).toBe(before.handOffs + 1);
    expect(after.servedBytes).toBe(before.servedBytes);
  });

  it('answers a Range from the store with 206, and an unsatisfiable one with the edge 416', async () => {
    const blob = await pushed(2 * MiB);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await edge.service.cache.settled();
    const handOffs = await edgeMetric('outpost_edge_front_handoffs_total');

    const partial = await get(url, { headers: { range: 'bytes=1000-1999' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 1000-1999/${blob.size}`);
    expect(partial.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(Buffer.from(await partial.arrayBuffer()).equals(blob.bytes.subarray(1000, 2000))).toBe(true);
    expect(await edgeMetric('outpost_edge_front_handoffs_total')).toBe(handOffs + 1);

    const beyond = await get(url, { headers: { range: `bytes=${blob.size}-` } });
    expect(beyond.headers.get('content-range')).toBe(`bytes */${blob.size}`);
    await expectOciError(beyond, 416, 'RANGE_INVALID');
    expect(await edgeMetric('outpost_edge_front_handoffs_total')).toBe(handOffs + 1);
  });

  it('answers HEAD from the edge with the blob headers and no body', async () => {
    const blob = await pushed(64 * 1024);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await edge.service.cache.settled();
    const head = await get(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expectBlobHeaders(head, blob);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('refuses a cached blob from the edge, no byte sent: 401 with no valid token, 403 for another blob', async () => {
    const blob = await pushed(3 * MiB);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await edge.service.cache.settled();
    const other = await pushed(100);
    const foreign = await signRedirectToken(main, { repository: REPO, digest: other.digest, audience: ['eu'] });
    const handOffs = await edgeMetric('outpost_edge_front_handoffs_total');
    const bare = `${frontUrl}/v2/${REPO}/blobs/${blob.digest}`;
    for (const [refused, status, code] of [
      [bare, 401, 'UNAUTHORIZED'],
      [`${bare}?token=not-a-jwt`, 401, 'UNAUTHORIZED'],
      [`${bare}?token=${foreign}`, 403, 'DENIED'],
    ] as const) {
      const res = await get(refused);
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="outpost-edge"/);
      expect(Number(res.headers.get('content-length'))).toBeLessThan(1000);
      await expectOciError(res, status, code);
    }
    expect(await edgeMetric('outpost_edge_front_handoffs_total')).toBe(handOffs);
  });

  it('answers 404 to a request for the internal location from outside, even for a cached blob', async () => {
    const blob = await pushed(3 * MiB);
    await (await get(await frontBlobUrl(blob))).arrayBuffer();
    const paths = [
      storePath(blob),
      `/${storePath(blob)}`,
      // nginx decodes before it matches a location: still the internal one.
      `/%5Foutpost_blobs${storePath(blob).slice('/_outpost_blobs'.length)}`,
    ];
    for (const path of paths) {
      const res = await get(`${frontUrl}${path}`);
      expect(res.status).toBe(404);
      expect((await res.arrayBuffer()).byteLength).toBeLessThan(1000);
    }
  });

  it('keeps redirect tokens out of the access log', async () => {
    const blob = await pushed(100);
    const url = await frontBlobUrl(blob);
    await (await get(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await edge.service.cache.settled();
    const token = new URL(url).searchParams.get('token')!;
    expect((await accessLog()).join('\n')).not.toContain(token);
  });
});
