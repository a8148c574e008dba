/**
 * @module The edge in front mode as a peer of the hot-path scenarios: a second outpost edge
 * (`--front nginx`, the same cache name and main as the stack's edge, so main's redirect tokens
 * are good on it) behind nginx configured by the measured CLI's own `outpost edge nginx-config`.
 * The edge authorizes each GET and hands the hit to nginx, which sends the file with sendfile:
 *
 *   client ─► nginx (front) ─► edge --front nginx ─► main
 *               └── sendfile from the edge's store (X-Accel-Redirect)
 *
 * The peer's usage is the sum of both servers' processes, since both work for every request.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { CACHE_NAME, type OutpostStack } from './cache-stacks.js';
import type { Descriptor } from './oci-layout.js';
import type { Watched } from './phase.js';
import { freePort, NGINX, spawnServer, startOutpostEdge, whichBinary, type ServerProcess } from './processes.js';
import type { HotPeers, HotPeerServer } from './hot-peers.js';
import type { ScenarioContext } from './scenario.js';

export const EDGE_FRONT = 'outpost edge + nginx front';

export interface FrontPeer {
  name: typeof EDGE_FRONT;
  watched: Watched;
  edge: ServerProcess;
  nginx: ServerProcess;
  /** The URL main's 307 would give on this peer (`location` on the stack's edge, moved to nginx). */
  urlOf(digest: string): string;
  stop(): Promise<void>;
}

/**
 * GETs `url` to its end through nginx and checks status and length; returns whether the edge
 * handed it to nginx.
 */
async function getThrough(url: string, size: number, edgeUrl: string): Promise<boolean> {
  const handOffs = async () => {
    const text = await (await request(`${edgeUrl}/metrics`)).body.text();
    const line = text.split('\n').find((l) => l.startsWith('outpost_edge_front_handoffs_total '));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const before = await handOffs();
  const res = await request(url, { bodyTimeout: 120_000 });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).byteLength;
  if (res.statusCode !== 200 || bytes !== size)
    throw new Error(`front peer: GET answered ${res.statusCode} with ${bytes} bytes, expected 200 with ${size}`);
  return (await handOffs()) > before;
}

// Right after a miss the edge may still be committing the blob (the client had its last byte
// before the fsync): until then it sends the bytes itself.
const HAND_OFF_TRIES = 50;
const HAND_OFF_RETRY_MS = 100;

export async function startFrontPeer(
  ctx: ScenarioContext,
  outpost: OutpostStack,
  options: { dir: string; repo: string; blobs: readonly Descriptor[] },
): Promise<FrontPeer> {
  const nginxBinary = await whichBinary(NGINX.binary);
  if (!nginxBinary) throw new Error(`${NGINX.binary} is not installed (Debian package ${NGINX.debianPackage})`);
  const edge = await startOutpostEdge({
    dataDir: join(options.dir, 'edge'),
    name: CACHE_NAME,
    upstream: outpost.main.url,
    issuer: outpost.main.url,
    bin: ctx.outpostBin,
    cleanup: ctx.cleanup,
    env: { OUTPOST_EDGE_FRONT: 'nginx' },
  });
  const nginxDir = join(options.dir, 'nginx');
  await mkdir(nginxDir, { recursive: true });
  const port = await freePort();
  const { stdout: config } = await promisify(execFile)(
    process.execPath,
    [
      ...[ctx.outpostBin, 'edge', 'nginx-config', '--data', join(options.dir, 'edge')],
      ...['--listen', edge.hostPort, '--front-listen', `127.0.0.1:${port}`],
      ...['--nginx-dir', nginxDir, '--user', userInfo().username],
    ],
    { timeout: 30_000 },
  );
  const confPath = join(nginxDir, 'nginx.conf');
  await writeFile(confPath, config);
  const url = `http://127.0.0.1:${port}`;
  const nginx = await spawnServer({
    name: 'nginx front',
    command: nginxBinary,
    args: ['-e', join(nginxDir, 'error.log'), '-c', confPath, '-g', 'daemon off;'],
    cleanup: ctx.cleanup,
    ready: async () => {
      try {
        const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200 ? url : undefined;
      } catch {
        return undefined;
      }
    },
  });
  const locations = new Map<string, string>();
  for (const blob of options.blobs) {
    const location = new URL(await outpost.redirectLocation(`${options.repo}`, blob.digest));
    const onFront = `${url}${location.pathname}${location.search}`;
    locations.set(blob.digest, onFront);
    // The first GET fills this edge (a miss, streamed through nginx); the second is nginx's.
    if (await getThrough(onFront, blob.size, edge.url)) throw new Error('front peer: the miss was handed to nginx');
    let tries = 1;
    while (!(await getThrough(onFront, blob.size, edge.url))) {
      if (++tries > HAND_OFF_TRIES) throw new Error('front peer: the hit was not handed to nginx');
      await new Promise((resolve) => setTimeout(resolve, HAND_OFF_RETRY_MS));
    }
  }
  return {
    name: EDGE_FRONT,
    edge,
    nginx,
    watched: {
      name: EDGE_FRONT,
      pid: edge.pid,
      processIds: async () => [...(await edge.processIds()), ...(await nginx.processIds())],
    },
    urlOf: (digest) => locations.get(digest)!,
    async stop() {
      await nginx.stop();
      await edge.stop();
    },
  };
}

/** The `front` parameter of the scenarios that measure front mode. */
export const FRONT_PARAM = 'no: leave out the edge in front mode behind nginx (default yes)';

/** The note under a table with the front peer in it. */
export const FRONT_PEER_NOTE =
  `${EDGE_FRONT}: a second edge (--front nginx) behind nginx configured by ` +
  '`outpost edge nginx-config` (worker_processes auto, its access log on); the edge authorizes ' +
  'each GET, nginx sends the file (sendfile); CPU is both together.';

/**
 * The hot peers with the front peer right after the edge, started for `repo`'s `blobs` unless
 * `--param front=no`; `front` (undefined when left out) is there to be stopped.
 */
export async function withFrontPeer(
  ctx: ScenarioContext,
  hot: HotPeers,
  options: { repo: string; blobs: readonly Descriptor[] },
): Promise<{ peers: (HotPeerServer | FrontPeer)[]; front?: FrontPeer }> {
  if (ctx.params.front === 'no') return { peers: hot.peers };
  const front = await startFrontPeer(ctx, hot.outpost, { dir: join(ctx.workDir, 'front'), ...options });
  const [edge, ...others] = hot.peers;
  return { peers: [edge!, front, ...others], front };
}
