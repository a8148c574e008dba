/**
 * The operator's commands from the built CLI (edge/admin-cli.ts): `outpost edge warm`, `pin`,
 * `unpin`, `purge` and `stats` against a running edge, with main's credentials on stdin.
 *
 * Run `npm run build` first: these tests spawn dist/bin/outpost.js.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { basicAuth, OUTPOST_BIN, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { blobOf, imageManifest, randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';

let main: TestMain;
let edge: TestEdge;
let secrets: TempDir;
let tokenFile: string;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `outpost edge <args>` from dist/, with `stdin` piped in. */
function outpostEdge(args: string[], stdin = '', env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTPOST_BIN, 'edge', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const admin = (...args: string[]) => [...args, '--edge', edge.url, '--token-file', tokenFile];
const withMainUser = (...args: string[]) => [...admin(...args), '--username', 'admin', '--password-stdin'];

async function pushImage(repo: string, tag: string, layers: Blob[]): Promise<Blob[]> {
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { id: randomUUID() } } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = imageManifest({ layers, config });
  const auth = { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) };
  for (const blob of [config, ...layers]) {
    const res = await fetch(`${main.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      body: blob.bytes,
      headers: auth,
    });
    expect(res.status).toBe(201);
  }
  const res = await fetch(`${main.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest.bytes,
    headers: { ...auth, 'Content-Type': manifest.mediaType },
  });
  expect(res.status).toBe(201);
  return [config, ...layers];
}

const isCached = (blob: Blob) => edge.service.cache.has(blob.digest as Digest);
const isPinned = (blob: Blob) => edge.service.index.get(blob.digest as Digest)?.pinned === true;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  secrets = await createTempDir('outpost-edge-cli-');
  tokenFile = join(secrets.path, 'admin-token');
  await writeFile(tokenFile, `${OPERATOR_TOKEN}\n`);
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    flags: { adminTokenFile: tokenFile, maxBytes: '2GiB' },
  });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
  await secrets?.remove();
});

describe('outpost edge warm', () => {
  it('pulls an image into the edge, printing a line per blob as it goes and a summary', async () => {
    const blobs = await pushImage('team/app', '1.0', [randomBlob(1 << 20), randomBlob(5000)]);
    const run = await outpostEdge(withMainUser('warm', 'team/app:1.0'), `${TEST_ADMIN_PASSWORD}\n`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(blobs.length + 1);
    for (const [i, blob] of blobs.entries()) expect(lines[i]).toMatch(new RegExp(`^cached +${blob.digest}  `));
    expect(lines.at(-1)).toMatch(
      /^warmed team\/app:1\.0: 3 blobs in 1 manifests \(3 pulled, 0 already cached, 0 failed\), 1\.0 MiB pulled$/,
    );
    for (const blob of blobs) expect(isCached(blob)).toBe(true);
  });

  it('prints the NDJSON progress with --json', async () => {
    await pushImage('team/json', 'v1', [randomBlob(100)]);
    const run = await outpostEdge([...withMainUser('warm', 'team/json:v1'), '--json'], TEST_ADMIN_PASSWORD);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['blob', 'blob', 'summary']);
  });

  it('fails with status 1 and the reason when main refuses the password, and never prints it', async () => {
    const run = await outpostEdge(withMainUser('warm', 'team/app:1.0'), 'not-the-password\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^outpost edge: warm team\/app:1\.0: DENIED: /);
    expect(run.stdout + run.stderr).not.toContain('not-the-password');
  });

  it('refuses bad usage with status 2: no token file, a username without --password-stdin, 2 references', async () => {
    const noToken = await outpostEdge(['warm', 'team/app:1.0', '--edge', edge.url]);
    expect([noToken.code, noToken.stderr]).toEqual([
      2,
      'outpost edge warm: --token-file FILE is required (the operator token the edge was started with)\n',
    ]);
    const noPassword = await outpostEdge([...admin('warm', 'team/app:1.0'), '--username', 'admin']);
    expect([noPassword.code, noPassword.stderr]).toEqual([2, 'outpost edge warm: --username needs --password-stdin\n']);
    const two = await outpostEdge(admin('warm', 'a:1', 'b:2'));
    expect(two.code).toBe(2);
  });

  it(
    'takes the token file from OUTPOST_EDGE_ADMIN_TOKEN_FILE, and fails with status 1 when the ' +
      'edge is unreachable',
    async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const run = await outpostEdge(['stats', '--edge', `http://127.0.0.1:${port}`], '', {
        OUTPOST_EDGE_ADMIN_TOKEN_FILE: tokenFile,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/cannot reach the edge \(ECONNREFUSED\)/);
    },
  );
});

describe('outpost edge pin and unpin', () => {
  it('pins and unpins cached blobs by digest', async () => {
    const [config] = await pushImage('team/digests', 'v1', [randomBlob(200)]);
    expect((await outpostEdge(withMainUser('warm', 'team/digests:v1'), TEST_ADMIN_PASSWORD)).code).toBe(0);
    const pin = await outpostEdge(admin('pin', config!.digest));
    expect([pin.code, pin.stdout]).toEqual([0, `pinned          ${config!.digest}\n`]);
    expect(isPinned(config!)).toBe(true);
    const unpin = await outpostEdge(admin('unpin', config!.digest));
    expect([unpin.code, unpin.stdout]).toEqual([0, `unpinned        ${config!.digest}\n`]);
    expect(isPinned(config!)).toBe(false);
  });

  it('pins every blob of a reference, pulling what is missing, and unpins them by reference', async () => {
    const blobs = await pushImage('team/pinned', 'v1', [randomBlob(300), randomBlob(400)]);
    const pin = await outpostEdge(withMainUser('pin', 'team/pinned:v1'), TEST_ADMIN_PASSWORD);
    expect(pin.code).toBe(0);
    expect(pin.stdout).toMatch(/pinned\n.*pinned\n.*pinned\nwarmed team\/pinned:v1/);
    for (const blob of blobs) expect([isCached(blob), isPinned(blob)]).toEqual([true, true]);

    const unpin = await outpostEdge(withMainUser('unpin', 'team/pinned:v1'), TEST_ADMIN_PASSWORD);
    expect(unpin.code).toBe(0);
    expect(unpin.stdout.trimEnd().split('\n')).toEqual(blobs.map((b) => `unpinned        ${b.digest}`));
    for (const blob of blobs) expect(isPinned(blob)).toBe(false);
  });

  it('fails with status 1 for a digest that is not cached', async () => {
    const digest = randomBlob(10).digest;
    const run = await outpostEdge(admin('pin', digest));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`outpost edge: pin ${digest}: BLOB_UNKNOWN: blob is not cached on this edge\n`);
  });
});

describe('outpost edge purge', () => {
  it('removes a cached blob', async () => {
    const [config] = await pushImage('team/purged', 'v1', [randomBlob(100)]);
    await outpostEdge(withMainUser('warm', 'team/purged:v1'), TEST_ADMIN_PASSWORD);
    const run = await outpostEdge(admin('purge', config!.digest));
    expect([run.code, run.stdout]).toEqual([0, `purged          ${config!.digest}\n`]);
    expect(isCached(config!)).toBe(false);
  });
});

describe('outpost edge stats', () => {
  it("prints the cache's name, blobs, bytes and hits", async () => {
    const run = await outpostEdge(admin('stats'));
    expect(run.code).toBe(0);
    const { blobs, bytes } = { blobs: edge.service.index.count, bytes: edge.service.index.bytes };
    expect(run.stdout).toMatch(
      new RegExp(
        `^name: +eu\\nblobs: +${blobs} \\(0 pinned\\)\\nbytes: +${bytes} \\(.+ of 2\\.0 GiB\\)\\nhits: +\\d+\\n$`,
      ),
    );
  });

  it('prints the JSON answer with --json', async () => {
    const run = await outpostEdge([...admin('stats'), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      name: 'eu',
      blobs: edge.service.index.count,
      maxBytes: 2 * 1024 ** 3,
    });
  });

  it('fails with status 1 when the operator token is wrong', async () => {
    const wrong = join(secrets.path, 'wrong-token');
    await writeFile(wrong, 'wrong-operator-token-0123456789');
    const run = await outpostEdge(['stats', '--edge', edge.url, '--token-file', wrong]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^outpost edge: stats: UNAUTHORIZED: /);
  });
});
