/**
 * @module replicas: outpost main scaled out (three replicas behind nginx, on PostgreSQL and
 * S3) against one embedded main (LMDB and a local directory) and against distribution on the
 * same S3, in one run:
 *
 * - push and pull of one large uncompressed layer with skopeo (as push-pull-large), with the
 *   peak RSS of main summed over the replicas and of the largest replica;
 * - blob GETs per second answered with a 307 to the user's content cache, by one replica on
 *   PostgreSQL and by the embedded main (wrk with a bearer token, as main-redirects): the
 *   user's cache profile and the cache list come from memory, so a replica should keep up;
 *   for the replica, how many PostgreSQL transactions one redirect costs (pg_stat_database).
 *
 * Each repetition gives each peer fresh servers, a fresh database and a fresh bucket (so
 * skopeo's blob-info cache cannot turn a push into a mount); the buckets are emptied after
 * their peer's turn so Ceph's in-memory store can free the space. PostgreSQL and the Ceph RGW
 * are started once per run. The order of the peers rotates each repetition.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { ADMIN_PASSWORD, readMetric, uploadBlob, USER, PASSWORD, basicAuth } from '../cache-stacks.js';
import { runCommand } from '../command.js';
import { writeRandomImageLayout, type WrittenImage } from '../oci-layout.js';
import { measurePhase, type PhaseResult } from '../phase.js';
import { startPostgres, POSTGRES, STATS_DELAY_MS, type BenchPostgres } from '../postgres.js';
import { DISTRIBUTION, NGINX, SKOPEO, WRK, type ServerProcess } from '../processes.js';
import { startDistribution } from '../peers.js';
import { startReplicas, startEmbeddedMain, type OutpostUnderTest } from '../replica-stack.js';
import { startS3, type BenchS3 } from '../s3-server.js';
import { startStubCache } from '../stub-cache.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPull, skopeoPush } from '../skopeo.js';
import { MiB } from '../stats.js';
import { runWrk } from '../wrk.js';

const REPLICAS = 'outpost ×3 (PostgreSQL + S3)';
const EMBEDDED = 'outpost main (embedded)';
const DIST = 'distribution (S3)';
const PEERS = [REPLICAS, EMBEDDED, DIST] as const;
type Peer = (typeof PEERS)[number];
const TAG = 'large';
const REPLICA_COUNT = 3;

interface Run {
  ctx: ScenarioContext;
  postgres: BenchPostgres;
  s3: BenchS3;
  cacheUrl: string;
  image: WrittenImage;
  layoutDir: string;
  table: SampleTable;
  opTimeoutMs: number;
  wrk: { seconds: number; warmup: number; connections: number; threads: number };
}

/** One peer's servers: what skopeo talks to, which processes are "main", what to clean after. */
interface Started {
  hostPort: string;
  /** The processes whose RSS and CPU are measured. */
  servers: ServerProcess[];
  /** Set for outpost: skopeo signs in as admin. */
  creds?: string;
  outpost?: OutpostUnderTest;
  bucket?: string;
  stop(): Promise<void>;
}

async function startPeer(peer: Peer, dir: string, run: Run): Promise<Started> {
  const { ctx } = run;
  const creds = `admin:${ADMIN_PASSWORD}`;
  if (peer === DIST) {
    const bucket = await run.s3.createBucket('distribution');
    const { endpoint, region, accessKeyId, secretAccessKey } = run.s3;
    const server = await startDistribution({
      dir,
      cleanup: ctx.cleanup,
      s3: { endpoint, region, bucket, accessKeyId, secretAccessKey },
    });
    return { hostPort: server.hostPort, servers: [server], bucket, stop: () => server.stop() };
  }
  const outpost =
    peer === REPLICAS
      ? await startReplicas(ctx, {
          dir,
          count: REPLICA_COUNT,
          postgres: run.postgres,
          s3: run.s3,
          cacheUrl: run.cacheUrl,
        })
      : await startEmbeddedMain(ctx, dir, run.cacheUrl);
  return {
    hostPort: outpost.hostPort,
    servers: outpost.mains,
    creds,
    outpost,
    ...(outpost.bucket && { bucket: outpost.bucket }),
    stop: () => outpost.stop(),
  };
}

const settle = (ctx: ScenarioContext) => runCommand('sync', [], { timeoutMs: 120_000, signal: ctx.signal });

function recordPhase(table: SampleTable, step: string, peer: Peer, phase: PhaseResult<unknown>): void {
  const usages = Object.values(phase.usage);
  table.record(`${step} (s)`, peer, phase.seconds);
  table.record(`server peak RSS, ${step}, all processes (MiB)`, peer, sum(usages.map((u) => u.rss.peakMiB)));
  table.record(`server peak RSS, ${step}, largest process (MiB)`, peer, Math.max(...usages.map((u) => u.rss.peakMiB)));
  const cpu = usages.map((u) => u.cpuSeconds);
  if (cpu.every((c) => c !== undefined)) table.record(`server CPU, ${step} (s)`, peer, sum(cpu as number[]));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Blob GETs answered 307 per second by `main` (one process; one replica for the cluster), with
 * wrk and a bearer token of `bench`. Every answer must be a redirect, counted by main itself.
 */
async function measureRedirects(peer: Peer, outpost: OutpostUnderTest, run: Run): Promise<void> {
  const { ctx, table } = run;
  const main = outpost.mains[0]!;
  const userAuth = basicAuth(USER, PASSWORD);
  const repo = `${USER}/redirects`;
  const bytes = randomBytes(4096);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const path = join(ctx.workDir, 'redirect-blob');
  await writeFile(path, bytes);
  await uploadBlob(main.url, repo, { path, digest, size: bytes.length }, userAuth);
  const url = `${main.url}/v2/${repo}/blobs/${digest}`;
  // On a replica the profile was set through another one: wait (bounded) until this one knows.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = await request(url, { headers: { authorization: userAuth } });
    await probe.body.dump();
    if (probe.statusCode === 307) break;
    if (Date.now() > deadline) throw new Error(`${peer}: GET ${url} answered ${probe.statusCode}, expected a 307`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const tokenRes = await request(`${main.url}/auth/token?service=outpost&scope=repository:${repo}:pull`, {
    headers: { authorization: userAuth },
  });
  const token = ((await tokenRes.body.json()) as { token: string }).token;
  const { seconds, warmup, connections, threads } = run.wrk;
  const options = { url, threads, connections, seconds, headers: { Authorization: `Bearer ${token}` } };
  const wrkRun = { signal: ctx.signal, cleanup: ctx.cleanup };
  await runWrk({ ...options, seconds: warmup }, wrkRun);
  await new Promise((r) => setTimeout(r, 500));
  const redirects = () => readMetric(main.url, 'outpost_main_redirects_total{cache="bench"}');
  // What the cluster asks PostgreSQL per redirect: counted over the measured run only, so the
  // warm-up's statistics must be published before the first reading and the run's before the last.
  const database = outpost.database;
  const transactions = async () => {
    await new Promise((r) => setTimeout(r, STATS_DELAY_MS));
    return database ? run.postgres.transactions(database) : 0;
  };
  const transactionsBefore = database ? await transactions() : 0;
  const before = await redirects();
  const phase = await measurePhase([{ name: peer, pid: main.pid }], () => runWrk(options, wrkRun));
  const counted = (await redirects()) - before;
  if (database) {
    const perRedirect = ((await transactions()) - transactionsBefore) / counted;
    table.record('redirects: PostgreSQL transactions per redirect', peer, perRedirect);
  }
  const result = phase.value;
  // As in main-redirects: requests in flight when wrk stops are answered and counted by main.
  if (
    result.non2xx3xx > 0 ||
    counted < result.requests ||
    counted > result.requests + 2 * connections + result.socketErrors
  ) {
    throw new Error(
      `${peer}: wrk completed ${result.requests} requests but main counted ${counted} redirects ` +
        `(${result.non2xx3xx} answers not 2xx/3xx)`,
    );
  }
  table.record('redirects, one main process (307/s)', peer, result.requestsPerSecond, 'higher');
  table.record('redirects: latency p99 (ms)', peer, result.p99Ms);
  const cpu = phase.usage[peer]!.cpuSeconds;
  if (cpu !== undefined) table.record('redirects: CPU per 10k (s)', peer, (cpu / result.requests) * 10_000);
  ctx.log(`${peer}: ${result.requestsPerSecond.toFixed(0)} redirects/s, p99 ${result.p99Ms.toFixed(2)} ms`);
}

async function measurePeer(peer: Peer, rep: number, run: Run): Promise<void> {
  const { ctx, table, image } = run;
  const layer = image.layers[0]!;
  const dir = join(ctx.workDir, `${peer.split(' ')[0]}-${PEERS.indexOf(peer)}-r${rep}`);
  await mkdir(dir, { recursive: true });
  ctx.log(`rep ${rep + 1}: ${peer}: starting`);
  const started = await startPeer(peer, join(dir, 'server'), run);
  const watch = started.servers.map((s, i) => ({ name: `${peer} #${i}`, pid: s.pid }));
  const ops = {
    timeoutMs: run.opTimeoutMs,
    signal: ctx.signal,
    cleanup: ctx.cleanup,
    ...(started.creds && { creds: started.creds }),
  };
  try {
    const repo = `bench/large-r${rep + 1}`;
    await settle(ctx);
    ctx.log(`rep ${rep + 1}: ${peer}: skopeo push`);
    const push = await measurePhase(watch, () =>
      skopeoPush(`oci:${run.layoutDir}:${TAG}`, started.hostPort, `${repo}:1`, ops),
    );
    recordPhase(table, 'push, skopeo', peer, push);

    await settle(ctx);
    ctx.log(`rep ${rep + 1}: ${peer}: skopeo pull`);
    const pulledDir = join(dir, 'pulled');
    const pull = await measurePhase(watch, () =>
      skopeoPull(started.hostPort, `${repo}:1`, `oci:${pulledDir}:${TAG}`, ops),
    );
    const pulled = await stat(join(pulledDir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)));
    if (pulled.size !== layer.size)
      throw new Error(`${peer}: pulled layer has ${pulled.size} bytes, expected ${layer.size}`);
    recordPhase(table, 'pull, skopeo', peer, pull);
    await rm(pulledDir, { recursive: true, force: true });
    ctx.log(`rep ${rep + 1}: ${peer}: push ${push.seconds.toFixed(2)} s, pull ${pull.seconds.toFixed(2)} s`);

    if (started.outpost) await measureRedirects(peer, started.outpost, run);
  } finally {
    await started.stop();
    if (started.bucket) await run.s3.emptyBucket(started.bucket);
    await rm(dir, { recursive: true, force: true });
  }
}

export const replicas: Scenario = {
  name: 'replicas',
  title: 'three replicas of main on PostgreSQL + S3 vs one embedded main vs distribution on S3',
  requires: [SKOPEO, DISTRIBUTION, NGINX, WRK, POSTGRES],
  params: {
    'image-mib': 'size of the image (one uncompressed layer) in MiB (default 1024)',
    seconds: 'duration of each measured redirect run (default 10)',
    connections: 'wrk connections (default 64)',
    threads: 'wrk threads (default 2)',
    'warmup-seconds': 'unmeasured redirect run before the measured one (default 2)',
  },

  async run(ctx) {
    const imageMiB = numberParam(ctx.params, 'image-mib', 1024);
    const wrk = {
      seconds: numberParam(ctx.params, 'seconds', 10),
      connections: numberParam(ctx.params, 'connections', 64),
      threads: numberParam(ctx.params, 'threads', 2),
      warmup: numberParam(ctx.params, 'warmup-seconds', 2),
    };
    const layerBytes = Math.round(imageMiB * MiB);
    const opTimeoutMs = Math.max(180_000, imageMiB * 500);
    await mkdir(ctx.workDir, { recursive: true });

    ctx.log('starting PostgreSQL and the Ceph RGW');
    // Settled, not raced: if one fails, the other's start has finished before cleanup stops it.
    const [pgStart, s3Start] = await Promise.allSettled([
      startPostgres(ctx.cleanup),
      startS3(join(ctx.workDir, 's3'), ctx.cleanup),
    ]);
    if (pgStart.status === 'rejected') throw pgStart.reason;
    if (s3Start.status === 'rejected') throw s3Start.reason;
    const [postgres, s3] = [pgStart.value, s3Start.value];
    const cache = await startStubCache(ctx.cleanup);
    const layoutDir = join(ctx.workDir, 'source');
    ctx.log(`writing a ${imageMiB} MiB random layer to ${layoutDir}`);
    const image = await writeRandomImageLayout(layoutDir, TAG, [layerBytes]);

    const table = new SampleTable(PEERS);
    const steps = ['push, skopeo', 'pull, skopeo'];
    for (const step of steps) table.declare(`${step} (s)`);
    table.declare('redirects, one main process (307/s)', 'higher');
    table.declare('redirects: PostgreSQL transactions per redirect');
    for (const step of steps) table.declare(`server peak RSS, ${step}, all processes (MiB)`);
    for (const step of steps) table.declare(`server peak RSS, ${step}, largest process (MiB)`);
    for (const step of steps) table.declare(`server CPU, ${step} (s)`);
    const run: Run = { ctx, postgres, s3, cacheUrl: cache.url, image, layoutDir, table, opTimeoutMs, wrk };
    for (let rep = 0; rep < ctx.reps; rep++) {
      // Rotate who goes first, so no peer always runs on a machine another just warmed.
      const order = PEERS.map((_, i) => PEERS[(i + rep) % PEERS.length]!);
      for (const peer of order) {
        ctx.signal.throwIfAborted();
        await measurePeer(peer, rep, run);
      }
    }
    const skopeoVersion = (await runCommand('skopeo', ['--version'], { timeoutMs: 10_000 })).trim();
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { 'image-mib': imageMiB, ...wrk },
      notes: [
        `Layer ${layer(image)}, ${layerBytes} bytes, uncompressed; client ${skopeoVersion}. ` +
          `S3: a single-node Ceph RGW (${process.env.S3TS_STORE ?? 'memstore'}), one bucket per peer per repetition.`,
        `${REPLICA_COUNT} replicas of \`outpost main\` (--database on a private PostgreSQL, --blobs s3://...) ` +
          'behind nginx round robin; skopeo talks to nginx. RSS and CPU are main only (not nginx, ' +
          'PostgreSQL or Ceph): "all processes" sums the replicas, "largest process" is the biggest one.',
        'outpost runs with authentication on (skopeo signs in as admin); distribution has none. ' +
          'distribution: s3 driver with redirect disabled, so blobs go through it as through outpost.',
        `Redirects: wrk -t${wrk.threads} -c${wrk.connections} -d${wrk.seconds}s on GET of a blob by ` +
          `\`${USER}\` (bearer token; profile: a registered content cache, a stub that only answers main's health probe), on ` +
          'one replica directly (not through nginx) and on the embedded main; every answer a 307 ' +
          '(checked against outpost_main_redirects_total).',
      ],
    };
  },
};

const layer = (image: WrittenImage) => `${image.layers[0]!.digest.slice(0, 19)}…`;
