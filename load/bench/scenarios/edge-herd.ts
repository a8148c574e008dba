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
 *
 * The clients' floor: once the edge holds the blob, nginx sends the edge's own file (sendfile,
 * next to no work of its own) to the same clients with the same checks. On this machine the
 * clients' hashing and reading take most of both cores, so no cache can do better than that
 * column; it tells how much of each wall time is the cache's own.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { startDistributionStack, startNginxOnEdgeFiles, startOutpostStack, uploadBlob, USER } from '../cache-stacks.js';
import { runDownloads } from '../download-clients.js';
import { cpuProfile } from '../hot-peers.js';
import { writeRandomLayer } from '../oci-layout.js';
import { measurePhase } from '../phase.js';
import { DISTRIBUTION, NGINX, type ServerProcess } from '../processes.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { MiB } from '../stats.js';

const OUTPOST = 'outpost edge';
const DIST = 'distribution proxy';
const FLOOR = "nginx on the edge's file (clients' floor)";
const PEERS = [OUTPOST, DIST] as const;

/** Waits (bounded) until `url` answers 200 with `size` bytes: the edge's commit may trail its clients. */
async function whenServed(url: string, size: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await request(url, { method: 'HEAD' });
    await res.body.dump();
    if (res.statusCode === 200 && Number(res.headers['content-length']) === size) return;
    if (attempt >= 100) throw new Error(`${url}: ${res.statusCode}, expected 200 with ${size} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
  requires: [DISTRIBUTION, NGINX],
  params: {
    clients: 'clients in the herd (default 50)',
    'blob-mib': 'blob size in MiB (default 64)',
    'time-limit-s': 'per-client time limit in seconds (default 120)',
    'cpu-prof': 'yes: run the edge with node --cpu-prof (default no)',
    floor: "no: leave out the clients' floor, nginx sending the edge's file (default yes)",
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
    const floor =
      ctx.params.floor === 'no'
        ? undefined
        : await startNginxOnEdgeFiles(ctx, join(ctx.workDir, 'nginx'), outpost.edgeDataDir);
    const peers = floor ? [...PEERS, FLOOR] : [...PEERS];
    const table = new SampleTable(peers);
    for (const row of [ROWS.gets, ROWS.bytes, ROWS.copies, ROWS.wall]) table.declare(row);
    table.declare(ROWS.correct, 'higher');
    table.declare(ROWS.rss);
    table.declare(ROWS.cpu);

    /** The same herd, served by nginx from the edge's file: wall time, CPU and correctness only. */
    const runFloor = async (url: string, server: ServerProcess, blob: { digest: string; size: number }) => {
      await whenServed(url, blob.size);
      const watched = { name: FLOOR, pid: server.pid, processIds: () => server.processIds() };
      const phase = await measurePhase([watched], () =>
        runDownloads({ url, clients, timeLimitMs: limitS * 1000, hash: true }),
      );
      const correct = phase.value.clients.filter(
        (r) => r.status === 200 && r.complete && r.bytes === blob.size && r.digest === blob.digest,
      ).length;
      table.record(ROWS.wall, FLOOR, phase.value.wallSeconds);
      table.record(ROWS.correct, FLOOR, correct, 'higher');
      table.record(ROWS.rss, FLOOR, phase.usage[FLOOR]!.rss.peakMiB);
      if (phase.usage[FLOOR]!.cpuSeconds !== undefined) table.record(ROWS.cpu, FLOOR, phase.usage[FLOOR]!.cpuSeconds!);
      ctx.log(`  ${FLOOR}: ${phase.value.wallSeconds.toFixed(2)} s, ${correct}/${clients} correct`);
      if (correct !== clients) throw new Error(`${FLOOR}: only ${correct} of ${clients} bodies complete and correct`);
    };

    for (let rep = 0; rep < ctx.reps; rep++) {
      const blob = await writeRandomLayer(blobsDir, Math.round(blobMiB * MiB));
      const file = { path: join(blobsDir, blob.digest.slice('sha256:'.length)), digest: blob.digest, size: blob.size };
      await uploadBlob(outpost.main.url, repo, file, outpost.userAuth);
      await uploadBlob(distribution.origin.url, repo, file);
      await rm(file.path);
      // The floor needs the blob on the edge's disk: it goes right after the edge.
      const order: string[] = rep % 2 === 0 ? [...PEERS] : [...PEERS].reverse();
      if (floor) order.splice(order.indexOf(OUTPOST) + 1, 0, FLOOR);
      for (const peer of order) {
        ctx.signal.throwIfAborted();
        if (peer === FLOOR) {
          await runFloor(floor!.urlOf(blob.digest), floor!.server, blob);
          continue;
        }
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
    await floor?.server.stop();
    await outpost.edge.stop();
    await outpost.main.stop();
    await distribution.proxy.stop();
    await distribution.origin.stop();
    return {
      peers,
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
        ...(floor
          ? [
              "Clients' floor: nginx (1 worker, sendfile) sends the blob the edge has just stored to the " +
                'same clients, checked the same way; it fetches nothing (no upstream rows). What the ' +
                'clients themselves cost on this machine: a cache near it leaves little to gain.',
            ]
          : []),
      ],
    };
  },
};
