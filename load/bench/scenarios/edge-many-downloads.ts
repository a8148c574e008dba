/**
 * @module edge-many-downloads: 100 clients download the hot 256 MiB blob at once, each to the
 * end or a time limit; the server's peak resident memory is the figure (DESIGN.md 4: memory
 * flat whatever the blob size and concurrency), with the bytes per second all clients got.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runDownloads } from '../download-clients.js';
import { cpuProfile, HOT_PEERS, rotate, startHotPeers } from '../hot-peers.js';
import { writeRandomLayer } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { DISTRIBUTION, NGINX } from '../processes.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { MiB } from '../stats.js';

const ROWS = {
  rss: 'server peak RSS, 100 concurrent downloads (MiB)',
  throughput: 'all clients together (MB/s)',
  complete: 'downloads complete within the time limit',
  cpu: 'server CPU per GB sent (s)',
};

export const edgeManyDownloads: Scenario = {
  name: 'edge-many-downloads',
  title: '100 concurrent downloads of a hot 256 MiB blob: server peak RSS (edge vs nginx vs distribution proxy)',
  requires: [NGINX, DISTRIBUTION],
  params: {
    'blob-mib': 'blob size in MiB (default 256)',
    clients: 'concurrent downloads (default 100)',
    'time-limit-s': 'per-client time limit in seconds (default 30)',
    'cpu-prof': 'yes: run the edge with node --cpu-prof (default no)',
  },

  async run(ctx) {
    const blobMiB = numberParam(ctx.params, 'blob-mib', 256);
    const clients = numberParam(ctx.params, 'clients', 100);
    const limitS = numberParam(ctx.params, 'time-limit-s', 30);
    const blobsDir = join(ctx.workDir, 'blobs');
    await mkdir(blobsDir, { recursive: true });
    const blob = await writeRandomLayer(blobsDir, Math.round(blobMiB * MiB));
    const hot = await startHotPeers(ctx, { blobs: [blob], blobsDir, repo: 'many', ...cpuProfile(ctx.params) });
    const table = new SampleTable(HOT_PEERS);
    table.declare(ROWS.rss);
    table.declare(ROWS.throughput, 'higher');
    table.declare(ROWS.complete, 'higher');
    table.declare(ROWS.cpu);
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rotate(hot.peers, rep)) {
        ctx.signal.throwIfAborted();
        const phase = await measurePhase([peer.watched], () =>
          runDownloads({ url: peer.urlOf(blob.digest), clients, timeLimitMs: limitS * 1000 }),
        );
        const results = phase.value.clients;
        const failed = results.filter((r) => r.status !== 200 || (r.error && !r.error.startsWith('time limit')));
        if (failed.length > 0)
          throw new Error(
            `${peer.name}: ${failed.length} of ${clients} downloads failed: ${failed[0]!.status} ` +
              `${failed[0]!.error ?? ''}`,
          );
        const bytes = results.reduce((a, r) => a + r.bytes, 0);
        const complete = results.filter((r) => r.complete && r.bytes === blob.size).length;
        const usage = phase.usage[peer.name]!;
        table.record(ROWS.rss, peer.name, usage.rss.peakMiB);
        table.record(ROWS.throughput, peer.name, bytes / 1e6 / phase.seconds, 'higher');
        table.record(ROWS.complete, peer.name, complete, 'higher');
        if (usage.cpuSeconds !== undefined) table.record(ROWS.cpu, peer.name, usage.cpuSeconds / (bytes / 1e9));
        ctx.log(
          `rep ${rep + 1}: ${peer.name}: peak RSS ${usage.rss.peakMiB.toFixed(0)} MiB, ` +
            `${complete}/${clients} complete, ${(bytes / 1e6 / phase.seconds).toFixed(0)} MB/s`,
        );
      }
    }
    await hot.stop();
    return {
      peers: [...HOT_PEERS],
      metrics: table.metrics(),
      params: { 'blob-mib': blobMiB, clients, 'time-limit-s': limitS },
      notes: [
        `${clients} streaming GETs started at once from 2 worker threads of the harness (node:http, ` +
          `bodies counted and dropped); each reads to the end or stops at ${limitS} s.`,
        'Peak RSS: the larger of VmRSS polled every 100 ms and VmHWM reset at the start (nginx: ' +
          'master + worker summed).',
      ],
    };
  },
};
