/**
 * @module scan: an image of many small files (1 GiB of file content in 4 gzip layers by default,
 * with this machine's dpkg status and some of this project's package.json files) pushed to outpost
 * main once, then scanned on demand each repetition (`POST /api/v0/imagescan/scan/...`, timed until
 * the queue is empty again), against a peer that only decompresses and lists the same layer files
 * (`gzip -dc LAYER | tar -tf - > /dev/null`, one layer after the other, as the scanner reads them).
 *
 * The peer is the floor: reading every byte of the layers with no analysis at all. Throughput is
 * the tar bytes (what is decompressed) per second. Peak RSS is main's, over exactly the scan; the
 * goal is under 250 MiB whatever the image size, since a scan holds no layer in memory.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../command.js';
import { measurePhase } from '../phase.js';
import { startOutpostMain, type ServerProcess } from '../processes.js';
import { readStatusBytes } from '../rss.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';
import { MiB } from '../stats.js';
import { GZIP_LAYER, layerStream, writeScanLayers, type WrittenLayer } from '../scan-layers.js';

const OUTPOST = 'outpost scan';
const PEER = 'gunzip, tar -t';
const PEERS = [OUTPOST, PEER] as const;
const REPO = 'bench/scan';
const ADMIN_PASSWORD = 'bench-not-a-secret';
const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const OUTPOST_ENV = { OUTPOST_MAIN_AUTH__ENABLED: 'false', OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD };

async function upload(url: string, digest: string, size: number, body: Readable | Buffer): Promise<void> {
  const res = await fetch(`${url}/v2/${REPO}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    // A stream's length is announced; undici sets it for a buffer itself (and refuses it given twice).
    headers: {
      'Content-Type': 'application/octet-stream',
      ...(!Buffer.isBuffer(body) && { 'Content-Length': String(size) }),
    },
    body: Buffer.isBuffer(body) ? body : (Readable.toWeb(body as Readable) as ReadableStream),
    duplex: 'half',
  } as RequestInit).catch((err: Error) => {
    throw new Error(`upload of ${digest} failed: ${String(err.cause ?? err)}`);
  });
  if (res.status !== 201) throw new Error(`upload of ${digest} answered ${res.status}: ${await res.text()}`);
}

async function pushImage(server: ServerProcess, layers: WrittenLayer[]): Promise<void> {
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }),
  );
  await upload(server.url, sha(config), config.length, config);
  for (const layer of layers) await upload(server.url, layer.digest, layer.size, layerStream(layer));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: GZIP_LAYER, digest: l.digest, size: l.size })),
    }),
  );
  const res = await fetch(`${server.url}/v2/${REPO}/manifests/latest`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`manifest put answered ${res.status}: ${await res.text()}`);
}

async function api<T>(server: ServerProcess, method: string, path: string): Promise<T> {
  const res = await fetch(`${server.url}/api/v0${path}`, {
    method,
    headers: { Authorization: ADMIN, ...(method === 'POST' && { 'Content-Type': 'application/json' }) },
    ...(method === 'POST' && { body: '{}' }),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Starts a scan of the tag and waits until the queue is empty (polled every 100 ms), bounded. */
async function scanOnce(server: ServerProcess, timeoutMs: number, signal: AbortSignal): Promise<void> {
  await api(server, 'POST', `/imagescan/scan/${REPO}/latest`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const { queue } = await api<{ queue: { queued: number; scanning: number } }>(server, 'GET', '/imagescan/status');
    if (queue.queued + queue.scanning === 0) return;
    if (Date.now() > deadline) throw new Error('the scan did not finish in time');
    await sleep(100);
  }
}

export const scan: Scenario = {
  name: 'scan',
  title: 'scanning an image of many small files (default 1 GiB) against decompressing and listing its layers',
  requires: [],
  params: {
    'image-mib': 'file content of the image in MiB (default 1024)',
    layers: 'number of gzip layers it is split into (default 4)',
  },

  async run(ctx) {
    const imageMiB = numberParam(ctx.params, 'image-mib', 1024);
    const layerCount = Math.round(numberParam(ctx.params, 'layers', 4));
    const timeoutMs = Math.max(300_000, imageMiB * 1_000);
    const layersDir = join(ctx.workDir, 'layers');
    await mkdir(layersDir, { recursive: true });
    ctx.log(`writing ${layerCount} gzip layers of ${imageMiB} MiB of small files to ${layersDir}`);
    const layers = await writeScanLayers(layersDir, imageMiB * MiB, layerCount);
    const tarBytes = layers.reduce((sum, l) => sum + l.tarBytes, 0);
    const blobBytes = layers.reduce((sum, l) => sum + l.size, 0);
    const files = layers.reduce((sum, l) => sum + l.files, 0);
    for (const l of layers) if ((await stat(l.path)).size !== l.size) throw new Error(`${l.path}: size changed`);

    const server = await startOutpostMain({
      dataDir: join(ctx.workDir, 'main'),
      bin: ctx.outpostBin,
      cleanup: ctx.cleanup,
      env: OUTPOST_ENV,
    });
    const table = new SampleTable(PEERS);
    table.declare('scan (s)');
    table.declare('throughput, tar bytes (MB/s)', 'higher');
    table.declare('peak RSS of the scanning process (MiB)');
    let packages = 0;
    try {
      ctx.log('pushing the image to outpost main');
      await pushImage(server, layers);
      const idle = await readStatusBytes(server.pid, 'VmRSS');
      const script = 'for f in "$@"; do gzip -dc "$f" | tar -tf - > /dev/null || exit 1; done';
      for (let rep = 0; rep < ctx.reps; rep++) {
        const order = rep % 2 === 0 ? PEERS : [...PEERS].reverse();
        for (const peer of order) {
          ctx.signal.throwIfAborted();
          await runCommand('sync', [], { timeoutMs: 120_000, signal: ctx.signal });
          if (peer === OUTPOST) {
            const phase = await measurePhase([{ name: peer, pid: server.pid }], () =>
              scanOnce(server, timeoutMs, ctx.signal),
            );
            table.record('scan (s)', peer, phase.seconds);
            table.record('throughput, tar bytes (MB/s)', peer, tarBytes / 1e6 / phase.seconds, 'higher');
            table.record('peak RSS of the scanning process (MiB)', peer, phase.usage[peer]!.rss.peakMiB);
            ctx.log(`rep ${rep + 1}: outpost scan ${phase.seconds.toFixed(2)} s`);
          } else {
            const started = process.hrtime.bigint();
            await runCommand('sh', ['-c', script, 'sh', ...layers.map((l) => l.path)], {
              timeoutMs,
              signal: ctx.signal,
              cleanup: ctx.cleanup,
            });
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            table.record('scan (s)', peer, seconds);
            table.record('throughput, tar bytes (MB/s)', peer, tarBytes / 1e6 / seconds, 'higher');
            ctx.log(`rep ${rep + 1}: gunzip, tar -t ${seconds.toFixed(2)} s`);
          }
        }
      }
      const results = await api<{ platforms: { state: string; packages: unknown[]; error?: string }[] }>(
        server,
        'GET',
        `/imagescan/repositories/${REPO}/latest`,
      );
      const platform = results.platforms[0];
      if (platform?.state !== 'done') throw new Error(`the scan ended ${platform?.state}: ${platform?.error ?? ''}`);
      packages = platform.packages.length;
      if (idle !== undefined) ctx.log(`outpost main RSS before the scans: ${(idle / MiB).toFixed(0)} MiB`);
    } finally {
      await server.stop();
    }
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { 'image-mib': imageMiB, layers: layerCount },
      notes: [
        `${files} files in ${layerCount} gzip layers (level 6): ${(tarBytes / MiB).toFixed(0)} MiB of tar, ` +
          `${(blobBytes / MiB).toFixed(0)} MiB compressed; the scan found ${packages} packages.`,
        'outpost: POST /api/v0/imagescan/scan until the queue is empty again (status polled every 100 ms); ' +
          'one scan at a time (scans.concurrency 1), layers read from the blob store as streams.',
        `Peer: ${PEER} of the same layer files one after the other (the floor: no analysis). ` +
          'Peak RSS is of outpost main only, over exactly the scan.',
      ],
    };
  },
};
