/**
 * @module edge-herd: 50 clients ask a cache for one cold 64 MiB blob at the same moment. The
 * figures: how many GETs reached the origin, bytes fetched from the origin per byte served, the
 * wall time until the last client had its body, and whether every body hashes to the digest.
 *
 * outpost's clients use the URL main's 307 gives (edge URL with its redirect token); they all
 * reach the edge at once, which must fetch once and serve everyone from that one download.
 * distribution's clients GET its proxy. What the edge fetched comes from its own counters (it
 * talks to main directly); a TCP proxy between distribution and its origin counts what it
 * fetched. Each repetition pushes a fresh random blob, so the caches are cold.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startDistributionStack, startOutpostStack, uploadBlob, USER } from '../cache-stacks.js';
import { runDownloads } from '../download-clients.js';
import { cpuProfile } from '../hot-peers.js';
import { writeRandomLayer } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { DISTRIBUTION } from '../processes.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { MiB } from '../stats.js';

const OUTPOST = 'outpost edge';
const DIST = 'distribution proxy';
const PEERS = [OUTPOST, DIST] as const;

const ROWS = {
  gets: 'upstream blob GETs',
  bytes: 'upstream bytes per byte served',
  copies: 'upstream bytes per byte of the blob',
  wall: 'wall time, all clients (s)',
  correct: 'bodies complete and correct',
  rss: 'cache peak RSS (MiB)',
  cpu: 'cache CPU (s)',
};

export const edgeHerd: Scenario = {
  name: 'edge-herd',
  title: 'thundering herd: 50 clients ask the cache for one cold 64 MiB blob at once',
  requires: [DISTRIBUTION],
  params: {
    clients: 'clients in the herd (default 50)',
    'blob-mib': 'blob size in MiB (default 64)',
    'time-limit-s': 'per-client time limit in seconds (default 120)',
    'cpu-prof': 'yes: run the edge with node --cpu-prof (default no)',
  },

  async run(ctx) {
    const clients = numberParam(ctx.params, 'clients', 50);
    const blobMiB = numberParam(ctx.params, 'blob-mib', 64);
    const limitS = numberParam(ctx.params, 'time-limit-s', 120);
    const blobsDir = join(ctx.workDir, 'blobs');
    await mkdir(blobsDir, { recursive: true });
    const repo = `${USER}/herd`;
    ctx.log('starting outpost main + edge and distribution origin + proxy');
    const outpost = await startOutpostStack(ctx, { dir: join(ctx.workDir, 'outpost'), ...cpuProfile(ctx.params) });
    const distribution = await startDistributionStack(ctx, join(ctx.workDir, 'distribution'));
    const table = new SampleTable(PEERS);
    for (const row of [ROWS.gets, ROWS.bytes, ROWS.copies, ROWS.wall]) table.declare(row);
    table.declare(ROWS.correct, 'higher');
    table.declare(ROWS.rss);
    table.declare(ROWS.cpu);

    for (let rep = 0; rep < ctx.reps; rep++) {
      const blob = await writeRandomLayer(blobsDir, Math.round(blobMiB * MiB));
      const file = { path: join(blobsDir, blob.digest.slice('sha256:'.length)), digest: blob.digest, size: blob.size };
      await uploadBlob(outpost.main.url, repo, file, outpost.userAuth);
      await uploadBlob(distribution.origin.url, repo, file);
      await rm(file.path);
      for (const peer of rep % 2 === 0 ? PEERS : [...PEERS].reverse()) {
        ctx.signal.throwIfAborted();
        const cache = peer === OUTPOST ? outpost.edge : distribution.proxy;
        const url =
          peer === OUTPOST
            ? await outpost.redirectLocation(repo, blob.digest)
            : `${distribution.proxy.url}/v2/${repo}/blobs/${blob.digest}`;
        const before = await outpost.upstreamCounts();
        distribution.upstream.reset();
        const phase = await measurePhase([{ name: peer, pid: cache.pid }], () =>
          runDownloads({ url, clients, timeLimitMs: limitS * 1000, hash: true }),
        );
        // The edge counts a fetch when its bytes are verified, as its clients get their last byte.
        if (peer === OUTPOST) await outpost.upstreamFetchesReach(before.blobGets + 1);
        const after = await outpost.upstreamCounts();
        const counts =
          peer === OUTPOST
            ? { blobGets: after.blobGets - before.blobGets, bytesFromOrigin: after.bytes - before.bytes }
            : distribution.upstream.counts();
        const results = phase.value.clients;
        const correct = results.filter(
          (r) => r.status === 200 && r.complete && r.bytes === blob.size && r.digest === blob.digest,
        ).length;
        const served = results.reduce((a, r) => a + r.bytes, 0);
        table.record(ROWS.gets, peer, counts.blobGets);
        table.record(ROWS.bytes, peer, counts.bytesFromOrigin / Math.max(1, served));
        table.record(ROWS.copies, peer, counts.bytesFromOrigin / blob.size);
        table.record(ROWS.wall, peer, phase.value.wallSeconds);
        table.record(ROWS.correct, peer, correct, 'higher');
        table.record(ROWS.rss, peer, phase.usage[peer]!.rss.peakMiB);
        if (phase.usage[peer]!.cpuSeconds !== undefined) table.record(ROWS.cpu, peer, phase.usage[peer]!.cpuSeconds!);
        ctx.log(
          `rep ${rep + 1}: ${peer}: ${counts.blobGets} upstream GETs, ` +
            `${(counts.bytesFromOrigin / blob.size).toFixed(2)} blob copies fetched, ` +
            `${phase.value.wallSeconds.toFixed(2)} s, ${correct}/${clients} correct`,
        );
        if (correct !== clients) {
          const bad = results.find((r) => !(r.status === 200 && r.complete && r.digest === blob.digest));
          throw new Error(
            `${peer}: only ${correct} of ${clients} bodies complete and correct (e.g. status ` +
              `${bad?.status}, ${bad?.bytes} bytes, ${bad?.error ?? bad?.digest})`,
          );
        }
      }
    }
    await outpost.edge.stop();
    await outpost.main.stop();
    await distribution.proxy.stop();
    await distribution.origin.stop();
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { clients, 'blob-mib': blobMiB, 'time-limit-s': limitS },
      notes: [
        `${clients} GETs started together from 2 worker threads of the harness; every body ` +
          `sha256-hashed and compared with the digest; a fresh random ${blobMiB} MiB blob per ` +
          `repetition, pushed to both origins first.`,
        "Upstream GETs and bytes: the edge's outpost_edge_upstream_{fetches,bytes}_total (body " +
          'bytes; the edge talks to main directly); for distribution, a TCP proxy between it and ' +
          'its origin (bytes include response headers; one more loopback hop in its path). Bytes ' +
          'per byte served: fetched / (clients × blob size); 1/clients is one fetch for everyone.',
      ],
    };
  },
};
