/**
 * @module edge-hot-blob: one client downloads a hot 256 MiB blob to /dev/null (curl), from
 * outpost's edge (the URL main's redirect hands out, token in the query), from the edge in front
 * mode (nginx in front sends the hit from the edge's store after the edge authorized it:
 * front-peer.ts), from nginx alone serving the edge's own file with sendfile, and from
 * distribution's pull-through proxy.
 *
 * On one loopback stream the client is the limit for every server, so besides MB/s the table
 * gives the server's CPU seconds per GB sent (the edge and its nginx together in front mode):
 * where servers really differ.
 */
import { join } from 'node:path';
import { runCommand } from '../command.js';
import { cpuProfile, EDGE, NGINX_PEER, rotate, startHotPeers } from '../hot-peers.js';
import { EDGE_FRONT, FRONT_PARAM, FRONT_PEER_NOTE, withFrontPeer } from '../front-peer.js';
import { writeRandomLayer } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { CURL, DISTRIBUTION, NGINX } from '../processes.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { formatRatio, median, MiB, ratio } from '../stats.js';
import { mkdir } from 'node:fs/promises';

const ROWS = {
  throughput: 'one stream, curl to /dev/null (MB/s)',
  cpu: 'server CPU per GB sent (s)',
  rss: 'server peak RSS during the GET (MiB)',
};

export const edgeHotBlob: Scenario = {
  name: 'edge-hot-blob',
  title:
    'a hot 256 MiB blob, one stream to /dev/null: edge, edge behind nginx front, nginx (sendfile), distribution proxy',
  requires: [NGINX, DISTRIBUTION, CURL],
  params: {
    'blob-mib': 'blob size in MiB (default 256)',
    'gets-per-rep': 'GETs per peer per repetition, each one sample (default 3)',
    'cpu-prof': 'yes: run the edge with node --cpu-prof, profiles kept in load/results/profiles (default no)',
    front: FRONT_PARAM,
  },

  async run(ctx) {
    const blobMiB = numberParam(ctx.params, 'blob-mib', 256);
    const gets = numberParam(ctx.params, 'gets-per-rep', 3);
    const blobsDir = join(ctx.workDir, 'blobs');
    await mkdir(blobsDir, { recursive: true });
    const blob = await writeRandomLayer(blobsDir, Math.round(blobMiB * MiB));
    const hot = await startHotPeers(ctx, { blobs: [blob], blobsDir, repo: 'hot', ...cpuProfile(ctx.params) });
    const { peers, front } = await withFrontPeer(ctx, hot, { repo: 'bench/hot', blobs: [blob] });
    const names = peers.map((p) => p.name);
    const table = new SampleTable(names);
    table.declare(ROWS.throughput, 'higher');
    table.declare(ROWS.cpu);
    table.declare(ROWS.rss);
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rotate(peers, rep)) {
        for (let i = 0; i < gets; i++) {
          ctx.signal.throwIfAborted();
          const url = peer.urlOf(blob.digest);
          const phase = await measurePhase([peer.watched], () =>
            runCommand(
              'curl',
              ['-sS', '-o', '/dev/null', '--max-time', '120', '-w', '%{http_code} %{size_download} %{time_total}', url],
              { timeoutMs: 130_000, signal: ctx.signal, cleanup: ctx.cleanup },
            ),
          );
          const [status, bytes, seconds] = phase.value.trim().split(' ').map(Number);
          if (status !== 200 || bytes !== blob.size)
            throw new Error(`${peer.name}: GET answered ${status} with ${bytes} bytes, expected 200 with ${blob.size}`);
          const usage = phase.usage[peer.name]!;
          table.record(ROWS.throughput, peer.name, blob.size / 1e6 / seconds!, 'higher');
          if (usage.cpuSeconds !== undefined) table.record(ROWS.cpu, peer.name, usage.cpuSeconds / (blob.size / 1e9));
          table.record(ROWS.rss, peer.name, usage.rss.peakMiB);
        }
      }
      ctx.log(`rep ${rep + 1} done`);
    }
    await front?.stop();
    await hot.stop();
    const cpu = table.metrics().find((m) => m.label === ROWS.cpu)?.samples ?? {};
    const cpuRatio = (a: string, b: string) => formatRatio(ratio(median(cpu[a] ?? []), median(cpu[b] ?? [])));
    return {
      peers: names,
      metrics: table.metrics(),
      params: { 'blob-mib': blobMiB, 'gets-per-rep': gets },
      notes: [
        `Each sample: \`curl -o /dev/null\` of the ${blob.size}-byte blob (MB/s from curl's ` +
          `time_total); ${gets} GETs per peer per repetition, peer order rotating.`,
        'nginx: one worker, sendfile on, serving the very file the edge serves; distribution: proxy ' +
          'mode, the blob pulled through it once before.',
        'CPU per GB: user+system seconds of the server (all of its processes) during the GET, per ' +
          '10^9 bytes; a CPU tick is 10 ms, so a short GET reads coarsely.',
        ...(front
          ? [
              FRONT_PEER_NOTE,
              `CPU per GB against nginx alone (goal: within 1.5x): ${EDGE} ${cpuRatio(EDGE, NGINX_PEER)}, ` +
                `${EDGE_FRONT} ${cpuRatio(EDGE_FRONT, NGINX_PEER)} (medians of this run).`,
            ]
          : []),
      ],
    };
  },
};
