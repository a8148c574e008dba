/**
 * @module edge-cold-pull: skopeo pulls a multi-layer image through an empty cache, and the same
 * image straight from the origin, for outpost (a user whose cache profile is the edge pulls
 * from main and follows main's 307s to the edge; the straight pull is by `admin`, who has no
 * cache profile) and for distribution (pull from its proxy; straight from the origin).
 *
 * What each cache fetched from its origin, per byte of the image's blobs: the edge's own
 * counters (`outpost_edge_upstream_{bytes,fetches}_total`, body bytes), and for distribution a
 * TCP proxy between it and its origin (headers included).
 * Each repetition starts the cache anew with an empty data directory.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  readMetric,
  startDistributionStack,
  startOutpostStack,
  USER,
} from '../cache-stacks.js';
import { runCommand } from '../command.js';
import { writeRandomImageLayout } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { DISTRIBUTION, SKOPEO } from '../processes.js';
import { SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPull, skopeoPush } from '../skopeo.js';
import { MiB } from '../stats.js';
import { cpuProfile } from '../hot-peers.js';

const OUTPOST = 'outpost (main → edge)';
const DIST = 'distribution (proxy)';
const PEERS = [OUTPOST, DIST] as const;
type Peer = (typeof PEERS)[number];
const TAG = 'cold';

const ROWS = {
  cold: 'cold pull through the cache, skopeo (s)',
  straight: 'pull straight from the origin, skopeo (s)',
  ratio: 'cold pull through the cache / straight pull',
  upstreamBytes: 'upstream bytes per byte of the image',
  upstreamGets: 'upstream blob GETs per blob of the image',
  rss: 'cache peak RSS during the cold pull (MiB)',
  cpu: 'cache CPU during the cold pull (s)',
};

function layerSizes(params: Readonly<Record<string, string>>): number[] {
  const raw = params['layers-mib'] ?? '64,32,16,8,4';
  const sizes = raw.split(',').map(Number);
  if (sizes.some((s) => !Number.isFinite(s) || s <= 0))
    throw new Error(`--param layers-mib: expected sizes in MiB separated by commas, got "${raw}"`);
  return sizes.map((s) => Math.round(s * MiB));
}

const settle = (ctx: ScenarioContext) => runCommand('sync', [], { timeoutMs: 120_000, signal: ctx.signal });

export const edgeColdPull: Scenario = {
  name: 'edge-cold-pull',
  title:
    'cold pull of a multi-layer image with skopeo through the cache vs straight from the origin; ' +
    'upstream bytes per pull',
  requires: [SKOPEO, DISTRIBUTION],
  params: {
    'layers-mib': 'layer sizes in MiB, comma-separated (default 64,32,16,8,4)',
    'cpu-prof': 'yes: run the edge with node --cpu-prof (default no)',
  },

  async run(ctx) {
    const sizes = layerSizes(ctx.params);
    const layoutDir = join(ctx.workDir, 'source');
    const image = await writeRandomImageLayout(layoutDir, TAG, sizes);
    const blobs = [...image.layers, image.config];
    const imageBytes = blobs.reduce((a, b) => a + b.size, 0);
    const ops = { timeoutMs: 300_000, signal: ctx.signal, cleanup: ctx.cleanup };
    const repoRef = `${USER}/cold:1`;

    ctx.log('starting outpost main + edge and distribution origin + proxy; pushing the image to both origins');
    const outpost = await startOutpostStack(ctx, { dir: join(ctx.workDir, 'outpost'), ...cpuProfile(ctx.params) });
    const distribution = await startDistributionStack(ctx, join(ctx.workDir, 'distribution'));
    await skopeoPush(`oci:${layoutDir}:${TAG}`, outpost.main.hostPort, repoRef, {
      ...ops,
      creds: `${USER}:${PASSWORD}`,
    });
    await skopeoPush(`oci:${layoutDir}:${TAG}`, distribution.origin.hostPort, repoRef, ops);

    const table = new SampleTable(PEERS);
    for (const row of [ROWS.cold, ROWS.straight, ROWS.ratio, ROWS.upstreamBytes, ROWS.upstreamGets, ROWS.rss, ROWS.cpu])
      table.declare(row);

    const pullInto = async (name: string, pull: (dest: string) => Promise<unknown>) => {
      const dest = join(ctx.workDir, `pulled-${name}`);
      await settle(ctx);
      try {
        const started = performance.now();
        await pull(`oci:${dest}:${TAG}`);
        return (performance.now() - started) / 1000;
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    };

    const measure = async (peer: Peer, rep: number) => {
      if (peer === OUTPOST) await outpost.replaceEdge();
      else await distribution.replaceProxy();
      const cache = peer === OUTPOST ? outpost.edge : distribution.proxy;
      distribution.upstream.reset();
      const cold = await measurePhase([{ name: peer, pid: cache.pid }], () =>
        pullInto(`${rep}-cold`, (dest) =>
          peer === OUTPOST
            ? skopeoPull(outpost.main.hostPort, repoRef, dest, { ...ops, creds: `${USER}:${PASSWORD}` })
            : skopeoPull(distribution.proxy.hostPort, repoRef, dest, ops),
        ),
      );
      if (peer === OUTPOST) await outpost.upstreamFetchesReach(blobs.length);
      const counts =
        peer === OUTPOST
          ? await outpost.upstreamCounts()
          : {
              blobGets: distribution.upstream.counts().blobGets,
              bytes: distribution.upstream.counts().bytesFromOrigin,
            };
      const straight = await pullInto(`${rep}-straight`, (dest) =>
        peer === OUTPOST
          ? skopeoPull(outpost.main.hostPort, repoRef, dest, { ...ops, creds: `admin:${ADMIN_PASSWORD}` })
          : skopeoPull(distribution.origin.hostPort, repoRef, dest, ops),
      );
      const upstreamBytes = counts.bytes;
      if (peer === OUTPOST) {
        const redirected = await readMetric(outpost.main.url, 'outpost_main_redirects_total{cache="bench"}');
        if (redirected === 0)
          throw new Error(
            'the cold pull through main was not redirected to the edge (outpost_main_redirects_total is 0)',
          );
      }
      table.record(ROWS.cold, peer, cold.value);
      table.record(ROWS.straight, peer, straight);
      table.record(ROWS.ratio, peer, cold.value / straight);
      table.record(ROWS.upstreamBytes, peer, upstreamBytes / imageBytes);
      table.record(ROWS.upstreamGets, peer, counts.blobGets / blobs.length);
      table.record(ROWS.rss, peer, cold.usage[peer]!.rss.peakMiB);
      if (cold.usage[peer]!.cpuSeconds !== undefined) table.record(ROWS.cpu, peer, cold.usage[peer]!.cpuSeconds!);
      ctx.log(
        `rep ${rep + 1}: ${peer}: cold ${cold.value.toFixed(2)} s, straight ${straight.toFixed(2)} ` +
          `s, upstream ${(upstreamBytes / imageBytes).toFixed(3)} bytes/byte, ${counts.blobGets} blob GETs`,
      );
    };

    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rep % 2 === 0 ? PEERS : [...PEERS].reverse()) {
        ctx.signal.throwIfAborted();
        await measure(peer, rep);
      }
    }
    await outpost.edge.stop();
    await outpost.main.stop();
    await distribution.proxy.stop();
    await distribution.origin.stop();
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { 'layers-mib': sizes.map((s) => s / MiB).join(',') },
      notes: [
        `Image: ${image.layers.length} uncompressed random layers ` +
          `(${sizes.map((s) => `${s / MiB} MiB`).join(', ')}) and a config, ${imageBytes} bytes of ` +
          `blobs; skopeo copy --preserve-digests to a fresh oci: directory, \`sync\` before each pull.`,
        'outpost: the cold pull is by `bench` (cache profile: the edge) from main, blobs via 307 to ' +
          'the edge; the straight pull by `admin` (no cache profile) from main. distribution: from ' +
          'its proxy, then from the origin.',
        'Each repetition starts the cache empty; the origin keeps the image in its page cache for both pulls.',
        'Upstream blob GETs per blob of the image (1.00 = each blob fetched once) and bytes: the ' +
          "edge's outpost_edge_upstream_fetches_total and outpost_edge_upstream_bytes_total (body " +
          'bytes; the edge talks to main directly); for distribution, GET .../blobs/... requests ' +
          'and bytes (headers included) seen by a TCP proxy between it and its origin.',
      ],
    };
  },
};
