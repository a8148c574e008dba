/**
 * @module push-pull-large: one large layer (1 GiB of random bytes by default) pushed with
 * skopeo, pulled back with skopeo, and fetched with a plain streaming GET, against outpost
 * main and against CNCF distribution, alternating which goes first each repetition.
 *
 * Each repetition gives each peer a fresh server with an empty data directory, so no blob is
 * already there and skopeo's blob-info cache cannot turn the push into a cross-repository
 * mount. `sync` runs before every measured step so the previous step's dirty pages are not
 * written back on this step's time. The layer is generated once per run, streamed to disk.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../command.js';
import { httpGetToNull } from '../http-get.js';
import { writeRandomImageLayout, type WrittenImage } from '../oci-layout.js';
import { measurePhase, type PhaseResult } from '../phase.js';
import { DISTRIBUTION, SKOPEO, startOutpostMain, type ServerProcess } from '../processes.js';
import { startDistribution } from '../peers.js';
import { readStatusBytes } from '../rss.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPull, skopeoPush } from '../skopeo.js';
import { MiB } from '../stats.js';

const OUTPOST = 'outpost main';
const DIST = 'distribution';
const PEERS = [OUTPOST, DIST] as const;
type Peer = (typeof PEERS)[number];
const TAG = 'large';

interface RepContext {
  ctx: ScenarioContext;
  image: WrittenImage;
  layoutDir: string;
  table: SampleTable;
  opTimeoutMs: number;
  httpGet: boolean;
  notes: Set<string>;
}

/**
 * Both registries run without authentication: distribution has no token server here, and a
 * token round trip is noise next to a 1 GiB transfer. `OUTPOST_ADMIN_PASSWORD` only keeps
 * main from generating (and printing) one on first start.
 */
const OUTPOST_ENV = { OUTPOST_MAIN_AUTH__ENABLED: 'false', OUTPOST_ADMIN_PASSWORD: 'bench-not-a-secret' };

function startPeer(peer: Peer, dir: string, ctx: ScenarioContext): Promise<ServerProcess> {
  return peer === OUTPOST
    ? startOutpostMain({ dataDir: dir, bin: ctx.outpostBin, cleanup: ctx.cleanup, env: OUTPOST_ENV })
    : startDistribution({ dir, cleanup: ctx.cleanup });
}

/** Flushes dirty pages so one step's writeback is not paid during the next. */
const settle = (ctx: ScenarioContext) => runCommand('sync', [], { timeoutMs: 120_000, signal: ctx.signal });

function recordPhase(
  table: SampleTable,
  step: string,
  peer: Peer,
  phase: PhaseResult<unknown>,
  notes: Set<string>,
): void {
  const usage = phase.usage[peer]!;
  table.record(`${step} (s)`, peer, phase.seconds);
  table.record(`server peak RSS, ${step} (MiB)`, peer, usage.rss.peakMiB);
  if (usage.cpuSeconds !== undefined) table.record(`server CPU, ${step} (s)`, peer, usage.cpuSeconds);
  if (!usage.rss.hwmReset)
    notes.add('VmHWM could not be reset (clear_refs refused): RSS peaks are from 100 ms polling only.');
}

async function measurePeer(peer: Peer, rep: number, rc: RepContext): Promise<void> {
  const { ctx, image, table, opTimeoutMs } = rc;
  const layer = image.layers[0]!;
  const dir = join(ctx.workDir, `${peer === OUTPOST ? 'outpost' : 'distribution'}-r${rep}`);
  await mkdir(dir, { recursive: true });
  const server = await startPeer(peer, join(dir, 'server'), ctx);
  const watch = [{ name: peer, pid: server.pid }];
  const ops = { timeoutMs: opTimeoutMs, signal: ctx.signal, cleanup: ctx.cleanup };
  try {
    const idle = await readStatusBytes(server.pid, 'VmRSS');
    if (idle !== undefined) table.record('server RSS after start (MiB)', peer, idle / MiB);
    // A fresh repository per repetition (and a fresh server: see the module comment).
    const repo = `bench/large-r${rep + 1}`;

    await settle(ctx);
    ctx.log(`rep ${rep + 1}: ${peer}: skopeo push`);
    const push = await measurePhase(watch, () =>
      skopeoPush(`oci:${rc.layoutDir}:${TAG}`, server.hostPort, `${repo}:1`, ops),
    );
    recordPhase(table, 'push, skopeo', peer, push, rc.notes);

    await settle(ctx);
    ctx.log(`rep ${rep + 1}: ${peer}: skopeo pull`);
    const pulledDir = join(dir, 'pulled');
    const pull = await measurePhase(watch, () =>
      skopeoPull(server.hostPort, `${repo}:1`, `oci:${pulledDir}:${TAG}`, ops),
    );
    const pulled = await stat(join(pulledDir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)));
    if (pulled.size !== layer.size)
      throw new Error(`${peer}: pulled layer has ${pulled.size} bytes, expected ${layer.size}`);
    recordPhase(table, 'pull, skopeo', peer, pull, rc.notes);
    // Free the disk (and the page cache) before the next step.
    await rm(pulledDir, { recursive: true, force: true });

    if (rc.httpGet) {
      await settle(ctx);
      ctx.log(`rep ${rep + 1}: ${peer}: HTTP GET`);
      const url = `${server.url}/v2/${repo}/blobs/${layer.digest}`;
      const get = await measurePhase(watch, () => httpGetToNull(url, ops));
      if (get.value.status !== 200 || get.value.bytes !== layer.size) {
        throw new Error(
          `${peer}: GET ${url} answered ${get.value.status} with ${get.value.bytes} bytes, expected ` +
            `200 with ${layer.size}`,
        );
      }
      recordPhase(table, 'pull, HTTP GET', peer, get, rc.notes);
    }
    ctx.log(`rep ${rep + 1}: ${peer}: push ${push.seconds.toFixed(2)} s, pull ${pull.seconds.toFixed(2)} s`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const pushPullLarge: Scenario = {
  name: 'push-pull-large',
  title: 'one large uncompressed layer pushed and pulled with skopeo, and fetched with a plain GET',
  requires: [SKOPEO, DISTRIBUTION],
  params: {
    'layer-mib': 'size of the layer in MiB (default 1024)',
    'http-get': 'also time a plain streaming GET of the blob: yes or no (default yes)',
  },

  async run(ctx) {
    const layerMiB = numberParam(ctx.params, 'layer-mib', 1024);
    const httpGet = (ctx.params['http-get'] ?? 'yes') !== 'no';
    const layerBytes = Math.round(layerMiB * MiB);
    // Generous per-operation limit: at least 3 minutes, or 0.5 s per MiB (2 MiB/s).
    const opTimeoutMs = Math.max(180_000, layerMiB * 500);

    const layoutDir = join(ctx.workDir, 'source');
    ctx.log(`writing a ${layerMiB} MiB random layer to ${layoutDir}`);
    const image = await writeRandomImageLayout(layoutDir, TAG, [layerBytes]);

    const table = new SampleTable(PEERS);
    const steps = ['push, skopeo', 'pull, skopeo', ...(httpGet ? ['pull, HTTP GET'] : [])];
    // Rows grouped by kind: times, then memory, then CPU.
    for (const step of steps) table.declare(`${step} (s)`);
    table.declare('server RSS after start (MiB)');
    for (const step of steps) table.declare(`server peak RSS, ${step} (MiB)`);
    for (const step of steps) table.declare(`server CPU, ${step} (s)`);
    const notes = new Set<string>();
    const rc: RepContext = { ctx, image, layoutDir, table, opTimeoutMs, httpGet, notes };
    for (let rep = 0; rep < ctx.reps; rep++) {
      // Alternate who goes first, so neither always runs on a machine the other just warmed.
      const order = rep % 2 === 0 ? PEERS : [...PEERS].reverse();
      for (const peer of order) {
        ctx.signal.throwIfAborted();
        await measurePeer(peer, rep, rc);
      }
    }
    const skopeoVersion = (await runCommand('skopeo', ['--version'], { timeoutMs: 10_000 })).trim();
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { 'layer-mib': layerMiB, 'http-get': httpGet ? 'yes' : 'no' },
      notes: [
        `Layer ${image.layers[0]!.digest.slice(0, 19)}…, ${layerBytes} bytes, media type ` +
          `${image.layers[0]!.mediaType}; client ${skopeoVersion}.`,
        'Each peer gets a fresh server and data directory per repetition; order alternates per repetition.',
        'Peak RSS and CPU are the server process only (not skopeo), over exactly the timed step.',
        'Authentication is off on both (outpost: OUTPOST_MAIN_AUTH__ENABLED=false).',
        ...notes,
      ],
    };
  },
};
