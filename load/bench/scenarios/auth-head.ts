/**
 * @module auth-head: requests per second for `HEAD /v2/<name>/blobs/<digest>` on outpost main
 * with authentication on, three ways: a registry bearer token, Basic credentials sent straight
 * to /v2, and anonymously on a public repository; CNCF distribution (no authentication) answers
 * the anonymous row too, as the reference. Load: 2 threads, 32 keep-alive connections, 10 s, from
 * the generator in ../http-load.ts (wrk and autocannon hang on HEAD answers; see there). The
 * calibration rows put that generator next to wrk on a GET both can make.
 *
 * One server per peer for the whole scenario (a HEAD writes nothing, so repetitions do not
 * disturb each other); the order of the rows rotates each repetition. Each measured run is
 * preceded by a short unmeasured one, so the first scrypt check of the Basic password and the
 * first verification of the token (both remembered afterwards) are not in the figures.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../command.js';
import { runHttpLoad } from '../http-load.js';
import { DISTRIBUTION, startOutpostMain, type Requirement, type ServerProcess } from '../processes.js';
import { startDistribution } from '../peers.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';

const OUTPOST = 'outpost main';
const DIST = 'distribution';
const PEERS = [OUTPOST, DIST] as const;
const WRK: Requirement = { binary: 'wrk', debianPackage: 'wrk' };

const USER = 'bench';
// Not a secret: a throwaway account in a temporary data directory.
const PASSWORD = 'bench-password-not-a-secret';

type Mode = 'bearer' | 'basic' | 'anonymous';
const MODES: readonly Mode[] = ['bearer', 'basic', 'anonymous'];
const ROW: Record<Mode, string> = {
  bearer: 'HEAD blob, bearer token (req/s)',
  basic: 'HEAD blob, Basic credentials (req/s)',
  anonymous: 'HEAD blob, anonymous, public repository (req/s)',
};
// The generator's ceiling next to wrk's, on a request both can make (wrk cannot HEAD).
const CALIBRATION_WRK = 'calibration: GET /v2/ with the bearer token, wrk (req/s)';
const CALIBRATION_GEN = 'calibration: GET /v2/ with the bearer token, this generator (req/s)';

/** `wrk -t -c -d` on a GET; its Requests/sec. */
async function wrkGet(
  ctx: ScenarioContext,
  url: string,
  headers: Record<string, string>,
  o: { threads: number; connections: number; seconds: number },
): Promise<number> {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  const output = await runCommand('wrk', args, {
    timeoutMs: (o.seconds + 30) * 1000,
    signal: ctx.signal,
    cleanup: ctx.cleanup,
  });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  if (rps === undefined || /Non-2xx/.test(output)) throw new Error(`wrk: no clean result:\n${output}`);
  return Number(rps);
}

/** `outpost main user add` with the password on standard input (no argument holds it). */
function addUser(ctx: ScenarioContext, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [ctx.outpostBin, 'main', 'user', 'add', USER, '--password-stdin', '--data', dataDir],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    ctx.cleanup.track(child);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`outpost main user add exited with ${code}: ${stderr}`)),
    );
    child.stdin.end(`${PASSWORD}\n`);
  });
}

async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  const body = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${body.slice(0, 300)}`);
}

/** A random blob plus a manifest that makes `repo` exist; returns the blob's digest. */
async function seedRepository(base: string, repo: string, authorization: string | undefined): Promise<string> {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const layer = randomBytes(4096);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }),
  );
  const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  for (const blob of [layer, config]) {
    // POST then PUT ?digest= (monolithic, two requests): both registries take this form.
    const started = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    await expectStatus(started, 202, `start upload to ${repo}`);
    const location = new URL(started.headers.get('location')!, base);
    location.searchParams.set('digest', digestOf(blob));
    await expectStatus(
      await fetch(location, {
        method: 'PUT',
        headers: { ...headers, 'Content-Type': 'application/octet-stream' },
        body: blob,
      }),
      201,
      `upload to ${repo}`,
    );
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
  };
  const put = await fetch(`${base}/v2/${repo}/manifests/v1`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  await expectStatus(put, 201, `manifest of ${repo}`);
  return digestOf(layer);
}

interface OutpostTarget {
  server: ServerProcess;
  basic: string;
  privateDigest: string;
  publicDigest: string;
}

async function startOutpost(ctx: ScenarioContext): Promise<OutpostTarget> {
  const dataDir = join(ctx.workDir, 'outpost');
  await mkdir(dataDir, { recursive: true });
  // Created before the first start: main then has a user and bootstraps no admin.
  await addUser(ctx, dataDir);
  const server = await startOutpostMain({
    dataDir,
    bin: ctx.outpostBin,
    cleanup: ctx.cleanup,
    env: { OUTPOST_MAIN_AUTH__ENABLED: 'true' },
  });
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const privateDigest = await seedRepository(server.url, `${USER}/private`, basic);
  const publicDigest = await seedRepository(server.url, `${USER}/public`, basic);
  const patch = await fetch(`${server.url}/api/v0/repositories/${USER}/public`, {
    method: 'PATCH',
    headers: { Authorization: basic, 'Content-Type': 'application/json' },
    body: JSON.stringify({ visibility: 'public' }),
  });
  await expectStatus(patch, 200, 'make the repository public');
  return { server, basic, privateDigest, publicDigest };
}

/** A fresh token for pulling the private repository (each repetition gets its own). */
async function bearerToken(target: OutpostTarget): Promise<string> {
  const res = await fetch(`${target.server.url}/auth/token?service=outpost&scope=repository:${USER}/private:pull`, {
    headers: { Authorization: target.basic },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token: ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { token: string }).token;
}

export const authHead: Scenario = {
  name: 'auth-head',
  title:
    'requests per second for a blob HEAD with a bearer token, with Basic credentials, and ' +
    'anonymously on a public repository',
  requires: [DISTRIBUTION, WRK],
  params: {
    seconds: 'duration of each measured run in seconds (default 10)',
    threads: 'load generator threads (default 2)',
    connections: 'keep-alive connections in total (default 32)',
    'warmup-seconds': 'unmeasured run before each measured one (default 2)',
    calibrate: 'also measure GET /v2/ with wrk and with the generator, to show its ceiling: yes or no (default yes)',
  },

  async run(ctx) {
    const seconds = numberParam(ctx.params, 'seconds', 10);
    const threads = numberParam(ctx.params, 'threads', 2);
    const connections = numberParam(ctx.params, 'connections', 32);
    const warmupSeconds = numberParam(ctx.params, 'warmup-seconds', 2);
    const calibrate = (ctx.params.calibrate ?? 'yes') !== 'no';
    await mkdir(ctx.workDir, { recursive: true });

    ctx.log('starting outpost main (authentication on) and distribution');
    const outpost = await startOutpost(ctx);
    const distribution = await startDistribution({ dir: join(ctx.workDir, 'distribution'), cleanup: ctx.cleanup });
    const distDigest = await seedRepository(distribution.url, `${USER}/public`, undefined);

    const table = new SampleTable(PEERS);
    for (const mode of MODES) table.declare(ROW[mode], 'higher');
    if (calibrate) for (const row of [CALIBRATION_WRK, CALIBRATION_GEN]) table.declare(row, 'higher');

    const measure = async (
      peer: (typeof PEERS)[number],
      mode: Mode,
      url: string,
      headers: Record<string, string>,
      rep: number,
    ) => {
      const options = { url, headers, threads, connections, seconds };
      await runHttpLoad({ ...options, seconds: warmupSeconds });
      ctx.signal.throwIfAborted();
      const result = await runHttpLoad(options);
      const failed =
        result.errors +
        Object.entries(result.statuses).reduce((sum, [status, n]) => sum + (status === '200' ? 0 : n), 0);
      if (failed > 0)
        throw new Error(
          `${peer}, ${mode}: ${failed} of ${result.requests + result.errors} requests failed ` +
            `(${JSON.stringify(result.statuses)}, ${result.errors} errors): HEAD ${url}`,
        );
      table.record(ROW[mode], peer, result.requestsPerSecond, 'higher');
      ctx.log(
        `rep ${rep + 1}: ${peer}, ${mode}: ${result.requestsPerSecond.toFixed(0)} req/s (${result.requests} requests)`,
      );
    };

    for (let rep = 0; rep < ctx.reps; rep++) {
      const token = await bearerToken(outpost);
      const runs: Array<() => Promise<void>> = [
        () =>
          measure(
            OUTPOST,
            'bearer',
            `${outpost.server.url}/v2/${USER}/private/blobs/${outpost.privateDigest}`,
            { Authorization: `Bearer ${token}` },
            rep,
          ),
        () =>
          measure(
            OUTPOST,
            'basic',
            `${outpost.server.url}/v2/${USER}/private/blobs/${outpost.privateDigest}`,
            { Authorization: outpost.basic },
            rep,
          ),
        () =>
          measure(
            OUTPOST,
            'anonymous',
            `${outpost.server.url}/v2/${USER}/public/blobs/${outpost.publicDigest}`,
            {},
            rep,
          ),
        () => measure(DIST, 'anonymous', `${distribution.url}/v2/${USER}/public/blobs/${distDigest}`, {}, rep),
      ];
      if (calibrate) {
        const base = `${outpost.server.url}/v2/`;
        const auth = { Authorization: `Bearer ${token}` };
        runs.push(async () => {
          const load = { threads, connections, seconds };
          table.record(CALIBRATION_WRK, OUTPOST, await wrkGet(ctx, base, auth, load), 'higher');
          const generated = await runHttpLoad({ ...load, url: base, method: 'GET', headers: auth });
          if (generated.errors > 0 || Object.keys(generated.statuses).some((s) => s !== '200'))
            throw new Error(`calibration GET failed: ${JSON.stringify(generated)}`);
          table.record(CALIBRATION_GEN, OUTPOST, generated.requestsPerSecond, 'higher');
        });
      }
      // Rotate the order, so no row always runs on a machine the previous one just warmed.
      for (let i = 0; i < runs.length; i++) {
        ctx.signal.throwIfAborted();
        await runs[(i + rep) % runs.length]!();
      }
    }
    await outpost.server.stop();
    await distribution.stop();

    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { seconds, threads, connections, 'warmup-seconds': warmupSeconds, calibrate: calibrate ? 'yes' : 'no' },
      notes: [
        `Each figure: HEAD /v2/<name>/blobs/<digest> in a closed loop for ${seconds} s over ` +
          `${connections} keep-alive connections from ${threads} worker threads (raw-socket ` +
          `generator, load/bench/http-load.ts), after a ${warmupSeconds} s unmeasured run; every answer must be 200.`,
        'outpost main runs with authentication on (a user owning the namespace; the bearer token ' +
          'grants pull on the private repository); distribution runs without authentication and ' +
          'answers only the anonymous row.',
        "The load generator and the servers share the machine's CPUs: the figures are for comparing " +
          'rows and peers, not absolute capacity.',
        ...(calibrate
          ? [
              'Calibration rows: the same GET /v2/ (bearer token, 2-byte body) with wrk and with ' +
                "this generator; their ratio is how much of the figures above is the generator's " +
                'own cost (wrk cannot send HEAD).',
            ]
          : []),
      ],
    };
  },
};
