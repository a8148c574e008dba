/**
 * The redirect journey end to end (issue 5), with skopeo against real processes of the built
 * CLI: main (authentication on, probing every 300 ms) and two edges that register themselves
 * with a join token from `outpost main cache token create`: eu (pulls from main) and asia
 * (pulls through eu). Users pick caches through the management API; skopeo follows main's 307s
 * to the edges; main's and the edges' /metrics show where every blob came from.
 * Run `npm run build` first (`npm run test:e2e` does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyRing } from '../../src/auth/keys.js';
import { createFileKeyStore } from '../../main/metadata/lmdb/keys.js';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { TEST_ADMIN_PASSWORD, basicAuth } from '../helpers/servers.js';
import { readMetric } from '../helpers/edge.js';
import { configBlob, imageManifest, randomBlob, writeOciLayout, type Blob } from '../helpers/oci-fixtures.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { runOutpost, startOutpost, type OutpostProcess } from '../helpers/outpost-processes.js';

const PASSWORD = 'journey-password';
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);
const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

interface Image {
  repo: string;
  manifest: Blob;
  /** Config and layers: every blob a pull GETs. */
  blobs: Blob[];
}

let temp: TempDir;
let authFile: string;
let main: OutpostProcess;
let eu: OutpostProcess;
let asia: OutpostProcess;
let app: Image;
let chained: Image;
let pulls = 0;

/** skopeo with an empty auth file (nothing from the machine), killed after 2 minutes. */
function skopeo(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['--insecure-policy', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REGISTRY_AUTH_FILE: authFile },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const host = () => new URL(main.url).host;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${main.url}/api/v0${path}`, {
    method,
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

/** Writes an image with random uncompressed layers (pushed byte for byte) and pushes it as admin. */
async function pushImage(repo: string, layerSizes: number[], architecture: string): Promise<Image> {
  const layers = layerSizes.map((size) => randomBlob(size, LAYER_TAR));
  // A config of its own per image: a config blob shared with another image would already be cached.
  const manifest = imageManifest({ layers, config: configBlob(architecture) });
  const layout = join(temp.path, `source-${repo.replace('/', '-')}`);
  await writeOciLayout(layout, 'v1', { blobs: [manifest.config, ...layers], manifests: [manifest], top: manifest });
  const pushed = await skopeo([
    'copy',
    '--preserve-digests',
    '--dest-tls-verify=false',
    '--dest-creds',
    `admin:${TEST_ADMIN_PASSWORD}`,
    `oci:${layout}:v1`,
    `docker://${host()}/${repo}:v1`,
  ]);
  expect(pushed.code, pushed.output).toBe(0);
  return { repo, manifest, blobs: [manifest.config, ...layers] };
}

/** `skopeo copy --src-creds <user>` into a fresh OCI layout; checks the digests came back identical. */
async function pull(user: (typeof USERS)[number], image: Image): Promise<void> {
  const dir = join(temp.path, `pulled-${++pulls}-${user}`);
  const result = await skopeo([
    'copy',
    '--preserve-digests',
    '--src-tls-verify=false',
    '--src-creds',
    `${user}:${PASSWORD}`,
    `docker://${host()}/${image.repo}:v1`,
    `oci:${dir}:v1`,
  ]);
  expect(result.code, result.output).toBe(0);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  expect(index.manifests[0]!.digest).toBe(image.manifest.digest);
  for (const blob of image.blobs) {
    const bytes = await readFile(join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length)));
    expect(bytes.equals(blob.bytes)).toBe(true);
  }
}

/** Reads several series at once, keyed by a short name. */
async function metrics<K extends string>(series: Record<K, [OutpostProcess, string]>): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const [key, [process, name]] of Object.entries(series) as Array<[K, [OutpostProcess, string]]>)
    out[key] = await readMetric(process.url, name);
  return out;
}
const deltas = <K extends string>(after: Record<K, number>, before: Record<K, number>) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k as K] - before[k as K]])) as Record<K, number>;

const watched = () =>
  metrics({
    redirectsEu: [main, 'outpost_main_redirects_total{cache="eu"}'],
    redirectsAsia: [main, 'outpost_main_redirects_total{cache="asia"}'],
    noPreference: [main, 'outpost_main_blob_direct_total{reason="no-preference"}'],
    cacheDown: [main, 'outpost_main_blob_direct_total{reason="cache-down"}'],
    servedToEdges: [main, 'outpost_main_cache_fetches_total{kind="miss"}'],
    euMiss: [eu, 'outpost_edge_blob_requests_total{result="miss"}'],
    euHit: [eu, 'outpost_edge_blob_requests_total{result="hit"}'],
    euFetched: [eu, 'outpost_edge_upstream_fetches_total{outcome="ok"}'],
    asiaMiss: [asia, 'outpost_edge_blob_requests_total{result="miss"}'],
    asiaHit: [asia, 'outpost_edge_blob_requests_total{result="hit"}'],
  });

async function startEdge(name: string, upstream: string, joinToken: string, region: string): Promise<OutpostProcess> {
  const edge = await startOutpost(
    ['edge'],
    {
      OUTPOST_EDGE_NAME: name,
      OUTPOST_EDGE_UPSTREAM: upstream,
      OUTPOST_EDGE_ISSUER: main.url,
      OUTPOST_EDGE_LISTEN: '127.0.0.1:0',
      OUTPOST_EDGE_DATA_DIR: join(temp.path, `edge-${name}`),
      OUTPOST_EDGE_JOIN_TOKEN: joinToken,
      OUTPOST_EDGE_REGION: region,
    },
    'edge cache listening',
  );
  await edge.waitForOutput(/"msg":"registered on main"/, `edge ${name} to register on main`);
  expect(edge.output()).not.toContain(joinToken);
  return edge;
}

beforeAll(async () => {
  temp = await createTempDir('outpost-e2e-redirect-');
  authFile = join(temp.path, 'auth.json');
  await writeFile(authFile, '{}');
  const data = join(temp.path, 'main');
  main = await startOutpost(
    ['main', '--listen', '127.0.0.1:0', '--data', data],
    {
      OUTPOST_MAIN_AUTH__ENABLED: 'true',
      OUTPOST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '300ms',
    },
    'main registry listening',
  );
  // The admin's offline command, on the data directory of the running main.
  const created = await runOutpost(['main', 'cache', 'token', 'create', '--ttl', '1h', '--data', data]);
  expect(created.code, created.stderr).toBe(0);
  const joinToken = created.stdout.trim();
  eu = await startEdge('eu', main.url, joinToken, 'eu-west-1');
  asia = await startEdge('asia', eu.url, joinToken, 'ap-southeast-1');

  for (const name of USERS) await api('POST', '/accounts', { type: 'user', name, password: PASSWORD });
  await api('POST', '/accounts/alice/settings', { defaultContentCache: 'eu' });
  await api('POST', '/accounts/dave/settings', { defaultContentCache: 'asia' });
  await api('POST', '/accounts', { type: 'organization', name: 'team' });
  app = await pushImage('team/app', [16 * 1024, 48 * 1024, 3 * 1024 * 1024, 100 * 1024], 'amd64');
  chained = await pushImage('team/chained', [24 * 1024, 64 * 1024], 'arm64');
  for (const image of [app, chained]) await api('PATCH', `/repositories/${image.repo}`, { visibility: 'public' });
});
afterAll(async () => {
  await asia?.stop();
  await eu?.stop();
  await main?.stop();
  await temp?.remove();
});

describe('the redirect journey with skopeo', () => {
  it('registered both edges on main through the join token, asia pulling through eu', async () => {
    const caches = (await api('GET', '/content_caches')) as Array<{
      name: string;
      host: string;
      region: string;
      chain: string[];
    }>;
    expect(caches.map((c) => [c.name, c.host, c.region, c.chain])).toEqual([
      ['asia', asia.url, 'ap-southeast-1', ['asia', 'eu']],
      ['eu', eu.url, 'eu-west-1', ['eu']],
    ]);
  });

  it('alice (profile eu): every blob is redirected to eu, which misses and fetches each from main once', async () => {
    const before = await watched();
    await pull('alice', app);
    const n = app.blobs.length;
    expect(deltas(await watched(), before)).toMatchObject({
      redirectsEu: n,
      euMiss: n,
      euHit: 0,
      euFetched: n,
      servedToEdges: n,
      noPreference: 0,
    });
  });

  it('alice again: eu answers every blob from its disk, nothing is fetched upstream', async () => {
    const before = await watched();
    await pull('alice', app);
    const n = app.blobs.length;
    expect(deltas(await watched(), before)).toMatchObject({
      redirectsEu: n,
      euHit: n,
      euMiss: 0,
      euFetched: 0,
      servedToEdges: 0,
    });
  });

  it('bob (no profile) pulls straight from main', async () => {
    const before = await watched();
    await pull('bob', app);
    expect(deltas(await watched(), before)).toMatchObject({
      noPreference: app.blobs.length,
      redirectsEu: 0,
      redirectsAsia: 0,
      euHit: 0,
      euMiss: 0,
    });
  });

  it('a network rule (127.0.0.0/8 -> eu) picks eu for carol, who has no setting', async () => {
    await api('PATCH', '/content_caches/eu', { networks: ['127.0.0.0/8'] });
    try {
      const before = await watched();
      await pull('carol', app);
      expect(deltas(await watched(), before)).toMatchObject({
        redirectsEu: app.blobs.length,
        euHit: app.blobs.length,
        noPreference: 0,
      });
    } finally {
      await api('PATCH', '/content_caches/eu', { networks: [] });
    }
  });

  it('dave (asia -> eu -> main): the first pull fills both edges, each blob fetched from main once', async () => {
    const before = await watched();
    await pull('dave', chained);
    const n = chained.blobs.length;
    expect(deltas(await watched(), before)).toMatchObject({
      redirectsAsia: n,
      asiaMiss: n,
      euMiss: n,
      euFetched: n,
      servedToEdges: n,
    });
    const again = await watched();
    await pull('dave', chained);
    expect(deltas(await watched(), again)).toMatchObject({ asiaHit: n, euHit: 0, euMiss: 0, servedToEdges: 0 });
  });
});

describe('the edges refuse redirect tokens that do not fit the request', () => {
  const blob = () => app.blobs[1]!;
  /** The token main puts in alice's redirect to eu for `blob()`. */
  async function aliceToken(): Promise<string> {
    const res = await fetch(`${main.url}/v2/${app.repo}/blobs/${blob().digest}`, {
      redirect: 'manual',
      headers: { Authorization: basicAuth('alice', PASSWORD) },
    });
    expect(res.status).toBe(307);
    return new URL(res.headers.get('location')!).searchParams.get('token')!;
  }
  const edgeGet = async (edge: OutpostProcess, repo: string, digest: string, token: string) => {
    const res = await fetch(`${edge.url}/v2/${repo}/blobs/${digest}?token=${token}`);
    const body = (await res.json()) as { errors: Array<{ code: string; message: string }> };
    return { status: res.status, code: body.errors[0]!.code, message: body.errors[0]!.message };
  };

  it('answers 200 with the token as handed out (the control case)', async () => {
    const res = await fetch(`${eu.url}/v2/${app.repo}/blobs/${blob().digest}?token=${await aliceToken()}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob().bytes)).toBe(true);
  });

  it('403 DENIED for another digest, another repository, or another cache', async () => {
    const token = await aliceToken();
    expect(await edgeGet(eu, app.repo, app.blobs[2]!.digest, token)).toMatchObject({
      status: 403,
      code: 'DENIED',
      message: expect.stringMatching(/another blob/),
    });
    expect(await edgeGet(eu, chained.repo, blob().digest, token)).toMatchObject({
      status: 403,
      code: 'DENIED',
      message: expect.stringMatching(/another repository/),
    });
    expect(await edgeGet(asia, app.repo, blob().digest, token)).toMatchObject({ status: 403, code: 'DENIED' });
  });

  it('401 UNAUTHORIZED once the token has expired', async () => {
    const keys = await KeyRing.open({
      store: createFileKeyStore(join(temp.path, 'main', 'keys')),
      maxTokenLifetimeMs: 300_000,
    });
    const expired = await issueRedirectToken(keys.signingKey, {
      issuer: main.url,
      subject: 'alice',
      audience: ['eu'],
      repository: app.repo,
      digest: blob().digest,
      lifetimeMs: 60_000,
      now: Date.now() - 10 * 60_000,
    });
    expect(await edgeGet(eu, app.repo, blob().digest, expired)).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/expired/),
    });
  });
});

describe('a dead edge never fails a pull', () => {
  it('eu killed: main marks it down within its probe interval; alice and dave still pull, from main', async () => {
    await eu.stop('SIGKILL');
    await waitFor(
      async () => (await readMetric(main.url, 'outpost_main_cache_up{cache="eu"}')) === 0,
      'main to mark eu down',
    );
    const before = await readMetric(main.url, 'outpost_main_blob_direct_total{reason="cache-down"}');
    await pull('alice', app);
    // asia is up but pulls through eu: its misses would fail, so main serves dave too.
    await pull('dave', chained);
    expect(await readMetric(main.url, 'outpost_main_blob_direct_total{reason="cache-down"}')).toBe(
      before + app.blobs.length + chained.blobs.length,
    );
    expect(await readMetric(main.url, 'outpost_main_cache_up{cache="asia"}')).toBe(1);
  });
});
