/**
 * @module outpost main as a cluster and alone, for the replicas scenario, both with
 * authentication on and a user `bench` whose cache profile is a registered content cache:
 *
 *   replicas:  client ─► nginx (round robin) ─► 3 × `outpost main` ─► PostgreSQL (private)
 *                                                     └──────────────► S3 (Ceph RGW, own bucket)
 *   embedded:  client ─► `outpost main` (LMDB and a local blob directory)
 *
 * The content cache is a stub (stub-cache.ts) that only answers main's health probe: main
 * answers `bench`'s blob GETs with a 307 to it, and nobody follows them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { startBalancer } from './balancer.js';
import { ADMIN_PASSWORD, basicAuth, CACHE_NAME, PASSWORD, USER } from './cache-stacks.js';
import { freePort, startOutpostMain, type ServerProcess } from './processes.js';
import type { BenchPostgres } from './postgres.js';
import type { BenchS3 } from './s3-server.js';
import type { ScenarioContext } from './scenario.js';

export const MAIN_ENV = {
  OUTPOST_MAIN_AUTH__ENABLED: 'true',
  OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD,
  // One bearer token per measured run.
  OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME: '30m',
};

export interface OutpostUnderTest {
  /** What clients use: the balancer, or the embedded main itself. */
  url: string;
  hostPort: string;
  /** The processes of main (one per replica); the balancer is not main and is not listed. */
  mains: ServerProcess[];
  /** The S3 bucket holding the blobs (replicas only), to empty afterwards. */
  bucket?: string;
  /** The PostgreSQL database URL (replicas only). */
  database?: string;
  stop(): Promise<void>;
}

async function admin(url: string, method: 'POST', path: string, body: unknown, status: number): Promise<void> {
  const res = await request(`${url}/api/v0${path}`, {
    method,
    headers: { authorization: basicAuth('admin', ADMIN_PASSWORD), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== status)
    throw new Error(`${method} /api/v0${path}: expected ${status}, got ${res.statusCode}: ${text.slice(0, 300)}`);
}

/** The user `bench`, a content cache `bench` at `cacheUrl` and `bench`'s profile pointing at it. */
export async function registerCacheUser(url: string, cacheUrl: string): Promise<void> {
  await admin(url, 'POST', '/accounts', { name: USER, password: PASSWORD }, 201);
  await admin(url, 'POST', '/content_caches', { name: CACHE_NAME, host: cacheUrl }, 201);
  await admin(url, 'POST', `/accounts/${USER}/settings`, { defaultContentCache: CACHE_NAME }, 200);
}

export async function startEmbeddedMain(
  ctx: ScenarioContext,
  dir: string,
  cacheUrl: string,
): Promise<OutpostUnderTest> {
  const main = await startOutpostMain({ dataDir: dir, bin: ctx.outpostBin, cleanup: ctx.cleanup, env: MAIN_ENV });
  await registerCacheUser(main.url, cacheUrl);
  return { url: main.url, hostPort: main.hostPort, mains: [main], stop: () => main.stop() };
}

export interface ReplicaOptions {
  dir: string;
  count: number;
  postgres: BenchPostgres;
  s3: BenchS3;
  /** The content cache `bench` is sent to. */
  cacheUrl: string;
}

/** `count` replicas on a fresh database and a fresh bucket, started together, behind nginx. */
export async function startReplicas(ctx: ScenarioContext, options: ReplicaOptions): Promise<OutpostUnderTest> {
  await mkdir(options.dir, { recursive: true });
  const kek = join(options.dir, 'kek');
  await writeFile(kek, randomBytes(32).toString('base64'), { mode: 0o600 });
  const database = await options.postgres.createDatabase();
  const bucket = await options.s3.createBucket('outpost');
  const { endpoint, region } = options.s3;
  const blobs = `s3://${bucket}/registry?endpoint=${encodeURIComponent(endpoint)}&region=${region}`;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const start = (index: number) =>
    startOutpostMain({
      dataDir: join(options.dir, `replica-${index}`),
      bin: ctx.outpostBin,
      cleanup: ctx.cleanup,
      args: ['--public-url', publicUrl, '--database', database, '--secret-key-file', kek, '--blobs', blobs],
      env: { ...MAIN_ENV, OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: '127.0.0.1', ...options.s3.env },
    });
  // Together, as a cluster's replicas start: the first schema migration must cope.
  const mains = await Promise.all(Array.from({ length: options.count }, (_, i) => start(i)));
  const balancer = await startBalancer({
    dir: join(options.dir, 'nginx'),
    port,
    upstreams: mains.map((m) => m.url),
    cleanup: ctx.cleanup,
  });
  await registerCacheUser(balancer.url, options.cacheUrl);
  return {
    url: balancer.url,
    hostPort: balancer.hostPort,
    mains,
    bucket,
    database,
    async stop() {
      await balancer.stop();
      await Promise.all(mains.map((m) => m.stop()));
    },
  };
}
