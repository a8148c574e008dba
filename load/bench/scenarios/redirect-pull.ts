/**
 * @module redirect-pull: issue 5's figures in one run. (1) skopeo pulls an image of many small
 * layers (50 of 32 KiB by default) through main's redirect from a hot edge, against the same
 * pull straight from main by a user without a cache; (2) how many redirects per second main
 * issues for a signed-in user (wrk with a registry bearer token on a blob GET that redirects).
 *
 * The edge is filled by one unmeasured pull first, so every measured pull through it is all hits
 * (checked on the edge's `outpost_edge_blob_requests_total{result="hit"}`); each straight pull must be
 * served by main (`outpost_main_blob_direct_total{reason="no-preference"}`); the 307s wrk gets
 * are counted by main's `outpost_main_redirects_total`. The two pulls alternate which goes first.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { ADMIN_PASSWORD, CACHE_NAME, PASSWORD, readMetric, startOutpostStack, USER } from '../cache-stacks.js';
import { runCommand } from '../command.js';
import { writeRandomImageLayout } from '../oci-layout.js';
import { SKOPEO, WRK } from '../processes.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPull, skopeoPush } from '../skopeo.js';
import { runWrk } from '../wrk.js';

const SUBJECT = 'through the redirect (hot edge)';
const STRAIGHT = 'straight from main';
const PEERS = [SUBJECT, STRAIGHT] as const;
type Peer = (typeof PEERS)[number];
const TAG = 'many';

const ROWS = {
  pull: (layers: number) => `skopeo pull, ${layers} layers (s)`,
  redirects: 'redirects issued by main, bearer token (307/s)',
  p99: 'redirect latency p99 (ms)',
};

const settle = (ctx: ScenarioContext) => runCommand('sync', [], { timeoutMs: 120_000, signal: ctx.signal });

export const redirectPull: Scenario = {
  name: 'redirect-pull',
  title:
    'skopeo pull of many small layers through the redirect (hot edge) vs straight from main; ' +
    'redirects per second (wrk)',
  requires: [SKOPEO, WRK],
  params: {
    layers: 'number of layers (default 50)',
    'layer-kib': 'size of each layer in KiB (default 32)',
    seconds: 'wrk run length (default 10)',
    threads: 'wrk threads (default 2)',
    connections: 'wrk connections (default 32)',
  },

  async run(ctx) {
    const layers = numberParam(ctx.params, 'layers', 50);
    const layerKib = numberParam(ctx.params, 'layer-kib', 32);
    const seconds = numberParam(ctx.params, 'seconds', 10);
    const threads = numberParam(ctx.params, 'threads', 2);
    const connections = numberParam(ctx.params, 'connections', 32);
    const ops = { timeoutMs: 300_000, signal: ctx.signal, cleanup: ctx.cleanup };
    const repo = `${USER}/many`;

    const layoutDir = join(ctx.workDir, 'source');
    const image = await writeRandomImageLayout(
      layoutDir,
      TAG,
      Array.from({ length: layers }, () => Math.round(layerKib * 1024)),
    );
    const blobs = image.layers.length + 1;
    ctx.log(`starting outpost main + edge; pushing ${layers} layers of ${layerKib} KiB`);
    const outpost = await startOutpostStack(ctx, { dir: join(ctx.workDir, 'outpost') });
    await skopeoPush(`oci:${layoutDir}:${TAG}`, outpost.main.hostPort, `${repo}:1`, {
      ...ops,
      creds: `${USER}:${PASSWORD}`,
    });
    const metric = (server: { url: string }, series: string) => readMetric(server.url, series);
    const creds: Record<Peer, string> = { [SUBJECT]: `${USER}:${PASSWORD}`, [STRAIGHT]: `admin:${ADMIN_PASSWORD}` };

    let pulls = 0;
    const pull = async (peer: Peer): Promise<number> => {
      const dest = join(ctx.workDir, `pulled-${++pulls}`);
      await settle(ctx);
      try {
        const started = performance.now();
        await skopeoPull(outpost.main.hostPort, `${repo}:1`, `oci:${dest}:${TAG}`, { ...ops, creds: creds[peer] });
        return (performance.now() - started) / 1000;
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    };

    ctx.log('filling the edge (unmeasured pull through the redirect)');
    await pull(SUBJECT);
    const table = new SampleTable(PEERS);
    table.declare(ROWS.pull(layers));
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rep % 2 === 0 ? PEERS : [...PEERS].reverse()) {
        ctx.signal.throwIfAborted();
        const served = () =>
          peer === SUBJECT
            ? metric(outpost.edge, 'outpost_edge_blob_requests_total{result="hit"}')
            : metric(outpost.main, 'outpost_main_blob_direct_total{reason="no-preference"}');
        const before = await served();
        const secondsTaken = await pull(peer);
        const servedCount = (await served()) - before;
        if (servedCount !== blobs)
          throw new Error(
            `${peer}: expected ${blobs} blobs served by ` +
              `${peer === SUBJECT ? 'the edge from its disk' : 'main itself'}, counted ${servedCount}`,
          );
        table.record(ROWS.pull(layers), peer, secondsTaken);
        ctx.log(`rep ${rep + 1}: ${peer}: ${secondsTaken.toFixed(2)} s`);
      }
    }

    const url = `${outpost.main.url}/v2/${repo}/blobs/${image.layers[0]!.digest}`;
    const tokenRes = await request(`${outpost.main.url}/auth/token?service=outpost&scope=repository:${repo}:pull`, {
      headers: { authorization: outpost.userAuth },
    });
    const token = ((await tokenRes.body.json()) as { token: string }).token;
    const wrk = { url, threads, connections, seconds, headers: { Authorization: `Bearer ${token}` } };
    const run = { signal: ctx.signal, cleanup: ctx.cleanup };
    const redirects = () => metric(outpost.main, `outpost_main_redirects_total{cache="${CACHE_NAME}"}`);
    for (let rep = 0; rep < ctx.reps; rep++) {
      ctx.signal.throwIfAborted();
      const before = await redirects();
      const result = await runWrk(wrk, run);
      const counted = (await redirects()) - before;
      // wrk may stop with a few requests in flight whose answers it never counts.
      if (
        result.non2xx3xx > 0 ||
        result.socketErrors > 0 ||
        counted < result.requests ||
        counted > result.requests + connections
      ) {
        throw new Error(
          `wrk completed ${result.requests} requests, main counted ${counted} redirects ` +
            `(${result.non2xx3xx} not 2xx/3xx, ${result.socketErrors} socket errors)`,
        );
      }
      table.record(ROWS.redirects, SUBJECT, counted / seconds, 'higher');
      table.record(ROWS.p99, SUBJECT, result.p99Ms);
      ctx.log(
        `rep ${rep + 1}: ${counted} redirects in ${seconds} s (wrk: ` +
          `${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(2)} ms)`,
      );
    }
    await outpost.edge.stop();
    await outpost.main.stop();

    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { layers, 'layer-kib': layerKib, seconds, threads, connections },
      notes: [
        `Pull: skopeo copy --preserve-digests --src-creds <user> docker://main/${repo}:1 oci:<fresh ` +
          `dir> (\`sync\` before each); ${layers} uncompressed random layers of ${layerKib} KiB and ` +
          `a config (${blobs} blob GETs). Through the redirect: user \`${USER}\`, cache profile the ` +
          `edge, which already holds every blob; straight: \`admin\`, no cache profile.`,
        `Redirects: wrk -t${threads} -c${connections} -d${seconds}s --latency -H 'Authorization: ` +
          `Bearer <token from /auth/token>' on GET /v2/${repo}/blobs/<digest>; 307/s = main's ` +
          `outpost_main_redirects_total over the run / ${seconds} s (wrk counts a 307 as a success; ` +
          `every answer was one).`,
        "Main, edge, skopeo and wrk share the machine's CPUs: compare the two pull columns, not absolute seconds.",
      ],
    };
  },
};
