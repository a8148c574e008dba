/**
 * @module edge-small-blobs: a hot 100 KiB blob fetched over and over by wrk (64 keep-alive
 * connections, 10 s): requests per second and latency percentiles, from outpost's edge (URL
 * with its redirect token, which the edge verifies on every request: from its cache after the
 * first), the edge in front mode (nginx in front sends each hit from the edge's store after the
 * edge authorized it: front-peer.ts), nginx alone on the same file, and distribution's proxy.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuProfile, rotate, startHotPeers } from '../hot-peers.js';
import { FRONT_PARAM, FRONT_PEER_NOTE, withFrontPeer } from '../front-peer.js';
import { writeRandomLayer } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { DISTRIBUTION, NGINX, WRK } from '../processes.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { runWrk } from '../wrk.js';

const ROWS = {
  rps: 'GET 100 KiB blob (req/s)',
  p50: 'latency p50 (ms)',
  p99: 'latency p99 (ms)',
  cpu: 'server CPU per 10k requests (s)',
  rss: 'server peak RSS during the run (MiB)',
};

export const edgeSmallBlobs: Scenario = {
  name: 'edge-small-blobs',
  title:
    'hot 100 KiB blob GETs, wrk with 64 connections for 10 s: edge, edge behind nginx front, nginx, distribution proxy',
  requires: [NGINX, DISTRIBUTION, WRK],
  params: {
    'blob-kib': 'blob size in KiB (default 100)',
    seconds: 'duration of each measured run (default 10)',
    connections: 'wrk connections (default 64)',
    threads: 'wrk threads (default 2)',
    'warmup-seconds': 'unmeasured wrk run before each measured one (default 2)',
    'nginx-workers': "nginx worker_processes (default 1, as the edge is one process; Debian's stock nginx: auto)",
    'cpu-prof': 'yes: run the edge with node --cpu-prof (default no)',
    'access-log': 'on: the edge and nginx both log every request, as they do by default (default); off: neither logs',
    front: FRONT_PARAM,
  },

  async run(ctx) {
    const kib = numberParam(ctx.params, 'blob-kib', 100);
    const seconds = numberParam(ctx.params, 'seconds', 10);
    const connections = numberParam(ctx.params, 'connections', 64);
    const threads = numberParam(ctx.params, 'threads', 2);
    const warmup = numberParam(ctx.params, 'warmup-seconds', 2);
    const nginxWorkers = numberParam(ctx.params, 'nginx-workers', 1);
    const accessLog = ctx.params['access-log'] ?? 'on';
    if (accessLog !== 'on' && accessLog !== 'off') throw new Error(`--param access-log must be on or off`);
    const blobsDir = join(ctx.workDir, 'blobs');
    await mkdir(blobsDir, { recursive: true });
    const blob = await writeRandomLayer(blobsDir, Math.round(kib * 1024));
    const hot = await startHotPeers(ctx, {
      blobs: [blob],
      blobsDir,
      repo: 'small',
      nginxWorkers,
      ...cpuProfile(ctx.params),
      nginxAccessLog: accessLog === 'on',
      edgeEnv: { OUTPOST_EDGE_LOG__ACCESS_SAMPLE_RATE: accessLog === 'on' ? '1' : '0' },
    });
    const { peers, front } = await withFrontPeer(ctx, hot, { repo: 'bench/small', blobs: [blob] });
    const names = peers.map((p) => p.name);
    const table = new SampleTable(names);
    table.declare(ROWS.rps, 'higher');
    for (const row of [ROWS.p50, ROWS.p99, ROWS.cpu, ROWS.rss]) table.declare(row);
    const run = { signal: ctx.signal, cleanup: ctx.cleanup };
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rotate(peers, rep)) {
        ctx.signal.throwIfAborted();
        const options = { url: peer.urlOf(blob.digest), threads, connections, seconds };
        await runWrk({ ...options, seconds: warmup }, run);
        const phase = await measurePhase([peer.watched], () => runWrk(options, run));
        const result = phase.value;
        if (result.non2xx3xx > 0 || result.requests === 0)
          throw new Error(
            `${peer.name}: ${result.non2xx3xx} of ${result.requests} answers were not 2xx:\n${result.output}`,
          );
        const usage = phase.usage[peer.name]!;
        table.record(ROWS.rps, peer.name, result.requestsPerSecond, 'higher');
        table.record(ROWS.p50, peer.name, result.p50Ms);
        table.record(ROWS.p99, peer.name, result.p99Ms);
        if (usage.cpuSeconds !== undefined)
          table.record(ROWS.cpu, peer.name, (usage.cpuSeconds / result.requests) * 10_000);
        table.record(ROWS.rss, peer.name, usage.rss.peakMiB);
        ctx.log(
          `rep ${rep + 1}: ${peer.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ` +
            `${result.p99Ms.toFixed(2)} ms`,
        );
      }
    }
    await front?.stop();
    await hot.stop();
    return {
      peers: names,
      metrics: table.metrics(),
      params: {
        'blob-kib': kib,
        seconds,
        connections,
        threads,
        'warmup-seconds': warmup,
        'nginx-workers': nginxWorkers,
        'access-log': accessLog,
      },
      notes: [
        `Each sample: \`wrk -t${threads} -c${connections} -d${seconds}s --latency\` on the blob's ` +
          `URL after a ${warmup} s unmeasured run; every answer must be 2xx.`,
        "outpost edge: the URL main's 307 gives (token in the query), so every request carries and " +
          `verifies the redirect token; nginx: ${nginxWorkers} worker(s), sendfile, the edge's own file; ` +
          'distribution: proxy mode, blob pulled through once.',
        'wrk runs on the same 2 cores as the server: a figure is the pair (server, wrk), comparable ' +
          'across peers in one run.',
        ...(front ? [FRONT_PEER_NOTE] : []),
      ],
    };
  },
};
