/**
 * @module The pull-through caches the edge scenarios measure, each in front of its own origin,
 * all on 127.0.0.1:
 *
 *   outpost:       client ─► main (auth on; user `bench` has defaultContentCache=bench)
 *                    │ 307 Location: <edge>/v2/<name>/blobs/<digest>?token=...
 *                    ▼
 *                  edge `bench` ─► main      (what it fetched: its own /metrics)
 *   distribution:  client ─► distribution (proxy mode) ─► [counting proxy] ─► distribution (origin)
 *
 * The edge is measured without a proxy in its path (a Node proxy on the same two cores cost it
 * more than the edge itself on a cold pull); distribution, which has no such counters, keeps one.
 *   nginx:         serves the edge's own blob files (sendfile on): the reference for hot bytes
 *
 * Redirect tokens are got the way a client gets them: a blob GET on main with the user's Basic
 * credentials, whose 307 names the edge with the token in its query.
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { startOutpostEdge, startOutpostMain, type ServerProcess } from './processes.js';
import { startDistribution, startNginx } from './peers.js';
import type { ScenarioContext } from './scenario.js';

export const CACHE_NAME = 'bench';
export const USER = 'bench';
// Not secrets: throwaway accounts in a temporary data directory.
export const PASSWORD = 'bench-password-not-a-secret';
export const ADMIN_PASSWORD = 'bench-admin-not-a-secret';

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function expectStatus(
  res: { statusCode: number; body: { text(): Promise<string> } },
  status: number,
  what: string,
): Promise<string> {
  const text = await res.body.text();
  if (res.statusCode !== status)
    throw new Error(`${what}: expected ${status}, got ${res.statusCode}: ${text.slice(0, 300)}`);
  return text;
}

/** Uploads a blob file (POST, then PUT ?digest= with the file streamed as the body). */
export async function uploadBlob(
  base: string,
  repo: string,
  file: { path: string; digest: string; size: number },
  authorization?: string,
): Promise<void> {
  const auth: Record<string, string> = authorization ? { authorization } : {};
  const started = await request(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
  await expectStatus(started, 202, `start upload to ${repo}`);
  const location = new URL(String(started.headers.location), base);
  location.searchParams.set('digest', file.digest);
  const put = await request(location, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(file.size) },
    body: createReadStream(file.path),
  });
  await expectStatus(put, 201, `upload ${file.digest.slice(0, 19)} to ${repo}`);
}

/** A counter or gauge from a Prometheus text page, `name{labels}` exactly as written; 0 when absent. */
export async function readMetric(url: string, series: string): Promise<number> {
  const res = await request(`${url}/metrics`);
  const text = await expectStatus(res, 200, 'GET /metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** What a cache fetched from its origin so far. */
export interface UpstreamCounts {
  /** Blob GETs sent to the origin. */
  blobGets: number;
  /** Body bytes received from the origin. */
  bytes: number;
}

export interface OutpostStack {
  main: ServerProcess;
  /** Fetches from main directly: what it fetched is read from its own metrics (`upstreamCounts`). */
  edge: ServerProcess;
  /** The edge's upstream fetches and bytes since it started, from its `/metrics`. */
  upstreamCounts(): Promise<UpstreamCounts>;
  /**
   * Waits (30 s at most) until the edge counted `fetches` upstream fetches in all (it counts one
   * when its bytes are verified, just before its clients get their last byte).
   */
  upstreamFetchesReach(fetches: number): Promise<void>;
  edgeDataDir: string;
  /** Basic credentials of `bench`, whose cache profile is the edge. */
  userAuth: string;
  /** Basic credentials of `admin`, who has no cache profile (pulls straight from main). */
  adminAuth: string;
  /** The URL main's 307 sends `bench` to for this blob (edge URL with a fresh redirect token). */
  redirectLocation(repo: string, digest: string): Promise<string>;
  /** Stops the edge and starts an empty one in a new data directory (main is told its new URL). */
  replaceEdge(): Promise<void>;
}

export interface OutpostStackOptions {
  dir: string;
  /** Extra options for the edge's node (`--cpu-prof`). */
  edgeNodeArgs?: string[];
  /** Extra options for main's node. */
  mainNodeArgs?: string[];
  edgeEnv?: Record<string, string>;
}

export async function startOutpostStack(ctx: ScenarioContext, options: OutpostStackOptions): Promise<OutpostStack> {
  await mkdir(options.dir, { recursive: true });
  const main = await startOutpostMain({
    dataDir: join(options.dir, 'main'),
    bin: ctx.outpostBin,
    cleanup: ctx.cleanup,
    ...(options.mainNodeArgs && { nodeArgs: options.mainNodeArgs }),
    env: {
      OUTPOST_MAIN_AUTH__ENABLED: 'true',
      OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // Long enough for every measured run of a scenario on one token.
      OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME: '30m',
    },
  });
  const adminAuth = basicAuth('admin', ADMIN_PASSWORD);
  const userAuth = basicAuth(USER, PASSWORD);
  const api = async (method: 'POST' | 'PATCH', path: string, body: unknown, status: number) =>
    expectStatus(
      await request(`${main.url}/api/v0${path}`, {
        method,
        headers: { authorization: adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      status,
      `${method} /api/v0${path}`,
    );
  await api('POST', '/accounts', { name: USER, password: PASSWORD }, 201);
  let generation = 0;
  const startEdge = async () => {
    const edgeDataDir = join(options.dir, `edge-${generation++}`);
    const edge = await startOutpostEdge({
      dataDir: edgeDataDir,
      name: CACHE_NAME,
      upstream: main.url,
      issuer: main.url,
      bin: ctx.outpostBin,
      cleanup: ctx.cleanup,
      ...(options.edgeEnv && { env: options.edgeEnv }),
      ...(options.edgeNodeArgs && { nodeArgs: options.edgeNodeArgs }),
    });
    return { edge, edgeDataDir };
  };
  let { edge, edgeDataDir } = await startEdge();
  await api('POST', '/content_caches', { name: CACHE_NAME, host: edge.url }, 201);
  await api('POST', `/accounts/${USER}/settings`, { defaultContentCache: CACHE_NAME }, 200);

  const stack: OutpostStack = {
    main,
    edge,
    async upstreamCounts() {
      const series = (s: string) => readMetric(stack.edge.url, `outpost_edge_upstream_${s}`);
      const [ok, failed, bytes] = await Promise.all([
        series('fetches_total{outcome="ok"}'),
        series('fetches_total{outcome="error"}'),
        series('bytes_total'),
      ]);
      return { blobGets: ok + failed, bytes };
    },
    async upstreamFetchesReach(fetches) {
      const deadline = Date.now() + 30_000;
      while ((await stack.upstreamCounts()).blobGets < fetches) {
        if (Date.now() > deadline) throw new Error(`the edge did not count ${fetches} upstream fetches within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    edgeDataDir,
    userAuth,
    adminAuth,
    async redirectLocation(repo, digest) {
      const res = await request(`${main.url}/v2/${repo}/blobs/${digest}`, { headers: { authorization: userAuth } });
      const text = await res.body.text();
      const location = res.headers.location;
      if (res.statusCode !== 307 || typeof location !== 'string')
        throw new Error(
          `GET ${repo}@${digest.slice(0, 19)} on main: expected a 307 to the edge, got ` +
            `${res.statusCode}: ${text.slice(0, 300)}`,
        );
      return location;
    },
    async replaceEdge() {
      await stack.edge.stop();
      ({ edge, edgeDataDir } = await startEdge());
      stack.edge = edge;
      stack.edgeDataDir = edgeDataDir;
      await api('PATCH', `/content_caches/${CACHE_NAME}`, { host: edge.url }, 200);
    },
  };
  return stack;
}

export interface DistributionStack {
  origin: ServerProcess;
  proxy: ServerProcess;
  /** Between the proxy and the origin. */
  upstream: CountingProxy;
  /** Stops the proxy and starts an empty one. */
  replaceProxy(): Promise<void>;
}

export async function startDistributionStack(ctx: ScenarioContext, dir: string): Promise<DistributionStack> {
  const origin = await startDistribution({ dir: join(dir, 'origin'), cleanup: ctx.cleanup });
  const upstream = await startCountingProxy(origin.url, ctx.cleanup);
  let generation = 0;
  const startProxy = () =>
    startDistribution({ dir: join(dir, `proxy-${generation++}`), cleanup: ctx.cleanup, proxyRemoteUrl: upstream.url });
  const stack: DistributionStack = {
    origin,
    proxy: await startProxy(),
    upstream,
    async replaceProxy() {
      await stack.proxy.stop();
      stack.proxy = await startProxy();
    },
  };
  return stack;
}

/** nginx serving the edge's blob files: `<url>/<hex[0:2]>/<hex>` is the edge's copy of sha256:<hex>. */
export async function startNginxOnEdgeFiles(
  ctx: ScenarioContext,
  dir: string,
  edgeDataDir: string,
  workers = 1,
  accessLog = false,
): Promise<{ server: ServerProcess; urlOf(digest: string): string }> {
  const server = await startNginx({
    dir,
    root: join(edgeDataDir, 'blobs', 'sha256'),
    workers,
    ...(accessLog && { accessLog: join(dir, 'access.log') }),
    cleanup: ctx.cleanup,
  });
  return {
    server,
    urlOf: (digest) => {
      const hex = digest.slice('sha256:'.length);
      return `${server.url}/${hex.slice(0, 2)}/${hex}`;
    },
  };
}
