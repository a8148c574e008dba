/**
 * @module backup: `outpost main backup` and `outpost main restore` on a registry of about 1 GiB
 * (16 images of 4 random 16 MiB layers by default, pushed with skopeo), against `cp -a` (and
 * `cp -al` for `--link`) of the same data directory in the same run, with and without the `sync` that
 * makes the copy as durable as outpost's (which fsyncs every file).
 *
 * Main keeps serving while it is backed up (as operators run it). Every copy starts from the
 * same page cache state as far as the run allows: `sync` before each timed step, and the peers
 * take turns going first. The rate is the registry's blob bytes over the wall time of the
 * command (node's start-up included), in MB/s (10^6 bytes).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCommand, type RunOptions } from '../command.js';
import { writeRandomImageLayout } from '../oci-layout.js';
import { SKOPEO, startOutpostMain } from '../processes.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPush } from '../skopeo.js';
import { MiB } from '../stats.js';

const OUTPOST = 'outpost';
const CP = 'cp -a / cp -al';
// Durable like outpost's copy (which fsyncs every file before it returns): cp, then sync.
const CP_SYNC = 'cp, then sync';
const PEERS = [OUTPOST, CP, CP_SYNC] as const;
const ROWS = {
  copy: 'backup, blobs copied (MB/s)',
  link: 'backup --link, blobs hard-linked (MB/s)',
  restore: 'restore, every blob verified (MB/s)',
};
const OUTPOST_ENV = { OUTPOST_MAIN_AUTH__ENABLED: 'false', OUTPOST_ADMIN_PASSWORD: 'bench-not-a-secret' };

/**
 * Runs `args` and returns its wall time in seconds, after a `sync` so earlier writeback is not on
 * its time; with `thenSync`, the `sync` after it is on its time.
 */
async function timed(command: string, args: string[], ops: RunOptions, thenSync = false): Promise<number> {
  await runCommand('sync', [], ops);
  const started = performance.now();
  await runCommand(command, args, ops);
  if (thenSync) await runCommand('sync', [], ops);
  return (performance.now() - started) / 1000;
}

async function buildRegistry(ctx: ScenarioContext, hostPort: string, images: number, layers: number, layerMiB: number) {
  const ops = { timeoutMs: 600_000, signal: ctx.signal, cleanup: ctx.cleanup };
  for (let i = 0; i < images; i++) {
    const layout = join(ctx.workDir, `layout-${i}`);
    await writeRandomImageLayout(
      layout,
      'v1',
      Array.from({ length: layers }, () => layerMiB * MiB),
    );
    await skopeoPush(`oci:${layout}:v1`, hostPort, `bench/app${i}:v1`, ops);
    await rm(layout, { recursive: true, force: true });
  }
}

export const backup: Scenario = {
  name: 'backup',
  title: 'outpost main backup (copy, --link) and restore of a ~1 GiB registry vs cp -a / cp -al of its data',
  requires: [SKOPEO],
  params: {
    images: 'images pushed (default 16)',
    layers: 'layers per image (default 4)',
    'layer-mib': 'size of each random layer in MiB (default 16)',
  },

  async run(ctx) {
    const images = numberParam(ctx.params, 'images', 16);
    const layers = numberParam(ctx.params, 'layers', 4);
    const layerMiB = numberParam(ctx.params, 'layer-mib', 16);
    const data = join(ctx.workDir, 'data');
    const main = await startOutpostMain({ dataDir: data, bin: ctx.outpostBin, cleanup: ctx.cleanup, env: OUTPOST_ENV });
    ctx.log(`pushing ${images} images of ${layers} x ${layerMiB} MiB`);
    await buildRegistry(ctx, main.hostPort, images, layers, layerMiB);
    const bytes = images * layers * layerMiB * MiB;
    const rate = (seconds: number) => bytes / 1e6 / seconds;
    const ops = { timeoutMs: 1_200_000, signal: ctx.signal, cleanup: ctx.cleanup };
    const outpost = (...args: string[]) => timed(process.execPath, [ctx.outpostBin, 'main', ...args, '--quiet'], ops);
    const table = new SampleTable(PEERS);
    for (const row of Object.values(ROWS)) table.declare(row, 'higher');

    for (let rep = 0; rep < ctx.reps; rep++) {
      const dir = (name: string) => join(ctx.workDir, `${name}-${rep}`);
      const steps: Record<(typeof PEERS)[number], () => Promise<void>> = {
        [OUTPOST]: async () => {
          table.record(ROWS.copy, OUTPOST, rate(await outpost('backup', '--data', data, '--to', dir('bk'))));
          table.record(
            ROWS.link,
            OUTPOST,
            rate(await outpost('backup', '--data', data, '--to', dir('bk-link'), '--link')),
          );
          table.record(
            ROWS.restore,
            OUTPOST,
            rate(await outpost('restore', '--from', dir('bk'), '--data', dir('restored'))),
          );
        },
        [CP]: async () => {
          const copy = rate(await timed('cp', ['-a', data, dir('cp')], ops));
          table.record(ROWS.copy, CP, copy);
          table.record(ROWS.link, CP, rate(await timed('cp', ['-al', data, dir('cp-link')], ops)));
          // The peer of a restore is a copy back of what the backup holds: cp -a of the copy.
          table.record(ROWS.restore, CP, rate(await timed('cp', ['-a', dir('cp'), dir('cp-restored')], ops)));
        },
        [CP_SYNC]: async () => {
          table.record(ROWS.copy, CP_SYNC, rate(await timed('cp', ['-a', data, dir('cps')], ops, true)));
          table.record(ROWS.link, CP_SYNC, rate(await timed('cp', ['-al', data, dir('cps-link')], ops, true)));
          const restored = await timed('cp', ['-a', dir('cps'), dir('cps-restored')], ops, true);
          table.record(ROWS.restore, CP_SYNC, rate(restored));
        },
      };
      const order = [...PEERS.slice(rep % PEERS.length), ...PEERS.slice(0, rep % PEERS.length)];
      for (const peer of order) {
        ctx.signal.throwIfAborted();
        await steps[peer]();
      }
      ctx.log(`rep ${rep + 1}: done`);
      for (const name of [
        'bk',
        'bk-link',
        'restored',
        'cp',
        'cp-link',
        'cp-restored',
        'cps',
        'cps-link',
        'cps-restored',
      ]) {
        await rm(dir(name), { recursive: true, force: true });
      }
    }
    await main.stop();
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { images, layers, 'layer-mib': layerMiB, 'registry-mib': images * layers * layerMiB },
      notes: [
        `Registry: ${images} images x ${layers} random layers of ${layerMiB} MiB pushed with skopeo; main serves ` +
          'during every backup. Rate = blob bytes / wall time of the command, node start-up included.',
        'outpost backup: LMDB snapshot, then each blob streamed, hashed and fsynced into the backup; ' +
          'cp -a copies the same data directory without hashing or fsync (its bytes may still be in the page cache ' +
          'when it returns); "cp, then sync" includes the sync that makes them durable, as outpost does per file.',
        'restore: outpost verifies every blob digest and the metadata sha256, fsyncs, renames; the peer is ' +
          'cp -a of the cp copy. --link vs cp -al: hard links only.',
        'All on one disk and 2 shared cores: source pages are likely in the page cache for every peer alike.',
      ],
    };
  },
};
