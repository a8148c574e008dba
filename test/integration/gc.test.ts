/**
 * Garbage collection of unreferenced blobs (main/registry/gc.ts), run beside a serving main on
 * the same database, and through the built CLI (`outpost main gc`; run `npm run build` first).
 *
 * The collector's clock and main's clock are one injected `now`, so "older than the grace
 * period" is set by moving the clock rather than by waiting.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage, type GcOptions, type GcResult } from '../../main/registry/gc.js';
import type { Digest } from '../../src/oci/digest.js';
import { silentLogger } from '../../src/log/logger.js';
import { BlobPaths } from '../../src/store/blob-paths.js';
import { openBlobFiles } from '../helpers/blob-files.js';
import { configBlob, imageManifest, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, pushManifest, putManifest } from '../helpers/registry-http.js';
import { OUTPOST_BIN, startTestMain, type TestMain } from '../helpers/servers.js';

const MINUTE = 60_000;
const GRACE_MS = 60 * MINUTE;

let clock: number;
let main: TestMain;

/** A fresh main per test; with `injectedClock`, main and the collector share `clock`. */
function useFreshMain(injectedClock: boolean): void {
  beforeEach(async () => {
    clock = Date.parse('2031-01-01T00:00:00Z');
    main = await startTestMain(injectedClock ? { now: () => clock } : {});
  });
  afterEach(async () => {
    await main.stop();
  });
}

/** Collects on the serving main's own metadata and its data directory's blob store. */
async function gc(options: Partial<GcOptions> = {}): Promise<GcResult> {
  return collectGarbage({
    metadata: main.service.registryMetadata,
    store: (await openBlobFiles(main.dataDir)).store,
    now: () => clock,
    graceMs: GRACE_MS,
    logger: silentLogger,
    ...options,
  });
}

const blobStatus = async (repo: string, digest: string) =>
  (await fetch(`${main.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status;
const isStored = (digest: string) => existsSync(new BlobPaths(main.dataDir).blob(digest as Digest));

async function expectBlobServed(repo: string, blob: Blob): Promise<void> {
  const res = await fetch(`${main.url}/v2/${repo}/blobs/${blob.digest}`);
  expect(res.status).toBe(200);
  expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(blob.digest);
}

describe('collectGarbage beside a serving main', () => {
  useFreshMain(true);

  it('removes a blob no manifest references once it is older than the grace period', async () => {
    const orphan = randomBlob(4096);
    await pushBlob(main.url, 'gc/app', orphan);
    clock += GRACE_MS + MINUTE;

    expect(await gc()).toEqual({ scanned: 1, removed: 1, removedBytes: 4096 });
    expect(await blobStatus('gc/app', orphan.digest)).toBe(404);
    await expectOciError(await fetch(`${main.url}/v2/gc/app/blobs/${orphan.digest}`), 404, 'BLOB_UNKNOWN');
    expect(isStored(orphan.digest)).toBe(false);
    expect(await readdir(new BlobPaths(main.dataDir).trashDir)).toEqual([]);
  });

  it('keeps an unreferenced blob while it is inside the grace period, and removes it after', async () => {
    const recent = randomBlob(1024);
    await pushBlob(main.url, 'gc/app', recent);
    clock += GRACE_MS - MINUTE;
    expect((await gc()).removed).toBe(0);
    expect(await blobStatus('gc/app', recent.digest)).toBe(200);

    clock += 2 * MINUTE;
    expect((await gc()).removed).toBe(1);
    expect(await blobStatus('gc/app', recent.digest)).toBe(404);
  });

  it('keeps every blob that a tagged or an untagged manifest references, however old', async () => {
    const tagged = await pushImage(main.url, 'gc/app', 'v1');
    const untagged = await pushImage(main.url, 'gc/app', undefined, { config: configBlob('arm64') });
    clock += 1000 * GRACE_MS;

    expect(await gc()).toEqual({ scanned: 6, removed: 0, removedBytes: 0 });
    for (const image of [tagged, untagged]) {
      for (const blob of [image.manifest.config, ...image.layers]) await expectBlobServed('gc/app', blob);
    }
  });

  it('collects the blobs of a deleted manifest, keeps those a manifest of another repository references', async () => {
    const shared = randomBlob(2048);
    const own = randomBlob(3072);
    await pushImage(main.url, 'gc/keep', 'v1', { layers: [shared] });
    const doomed = await pushImage(main.url, 'gc/drop', 'v1', { layers: [shared, own] });
    const deleted = await fetch(`${main.url}/v2/gc/drop/manifests/${doomed.manifest.digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    clock += 2 * GRACE_MS;

    // Both images use the same config blob, so only `own` is left without a manifest.
    expect(await gc()).toEqual({ scanned: 3, removed: 1, removedBytes: own.size });
    await expectBlobServed('gc/keep', shared);
    await expectBlobServed('gc/drop', shared);
    expect(await blobStatus('gc/drop', own.digest)).toBe(404);
    expect(isStored(own.digest)).toBe(false);
  });

  it('reports what it would remove in a dry run, and removes nothing', async () => {
    const orphan = randomBlob(5000);
    await pushBlob(main.url, 'gc/app', orphan);
    clock += 2 * GRACE_MS;

    expect(await gc({ dryRun: true })).toEqual({ scanned: 1, removed: 1, removedBytes: 5000 });
    await expectBlobServed('gc/app', orphan);
    expect(isStored(orphan.digest)).toBe(true);
    expect(await gc()).toEqual({ scanned: 1, removed: 1, removedBytes: 5000 });
  });

  it('lets a download under way finish when its blob is collected meanwhile', async () => {
    const big = randomBlob(32 * 2 ** 20);
    await pushBlob(main.url, 'gc/app', big);
    clock += 2 * GRACE_MS;

    const res = await fetch(`${main.url}/v2/gc/app/blobs/${big.digest}`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];

    expect((await gc()).removed).toBe(1);
    expect(await blobStatus('gc/app', big.digest)).toBe(404);
    for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
    expect(sha256(Buffer.concat(chunks))).toBe(big.digest);
  });

  it('serves pushes and pulls of referenced images while it runs', async () => {
    const existing = await pushImage(main.url, 'gc/busy', 'v1');
    for (let i = 0; i < 20; i++) await pushBlob(main.url, 'gc/busy', randomBlob(1024));
    clock += 2 * GRACE_MS;

    const [result] = await Promise.all([
      gc(),
      ...Array.from({ length: 5 }, (_, i) => pushImage(main.url, 'gc/busy', `new-${i}`)),
      ...[existing.manifest.config, ...existing.layers].map((blob) => expectBlobServed('gc/busy', blob)),
    ]);
    // The old orphans go; everything the new images brought was linked inside the grace period.
    expect(result.removed).toBe(20);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${main.url}/v2/gc/busy/manifests/new-${i}`);
      expect(res.status).toBe(200);
    }
  });
});

describe('a manifest PUT racing a collection', () => {
  useFreshMain(true);
  let images = 0;

  /** Uploads a fresh config and layer, lets them age past the grace period, returns their manifest. */
  async function agedImage(repo: string) {
    const layers = [randomBlob(1024)];
    const manifest = imageManifest({ layers, config: configBlob(`arch-${images++}`) });
    for (const blob of [manifest.config, ...layers]) await pushBlob(main.url, repo, blob);
    clock += 2 * GRACE_MS;
    return { manifest, blobs: [manifest.config, ...layers] };
  }

  /** The only two acceptable outcomes: stored with every blob servable, or refused and absent. */
  async function expectAllOrNothing(
    repo: string,
    put: Response,
    image: Awaited<ReturnType<typeof agedImage>>,
  ): Promise<'stored' | 'refused'> {
    const manifestUrl = `${main.url}/v2/${repo}/manifests/${image.manifest.digest}`;
    if (put.status === 201) {
      expect((await fetch(manifestUrl)).status).toBe(200);
      for (const blob of image.blobs) await expectBlobServed(repo, blob);
      return 'stored';
    }
    await expectOciError(put, 404, 'MANIFEST_BLOB_UNKNOWN');
    await expectOciError(await fetch(manifestUrl), 404, 'MANIFEST_UNKNOWN');
    return 'refused';
  }

  it('fails with 404 MANIFEST_BLOB_UNKNOWN when the collection removed its blobs first', async () => {
    const image = await agedImage('gc/race');
    expect((await gc()).removed).toBe(2);
    const put = await putManifest(main.url, 'gc/race', 'v1', image.manifest);
    expect(await expectAllOrNothing('gc/race', put, image)).toBe('refused');
  });

  it('keeps the blobs when the manifest was stored first', async () => {
    const image = await agedImage('gc/race');
    await pushManifest(main.url, 'gc/race', 'v1', image.manifest);
    expect((await gc()).removed).toBe(0);
    for (const blob of image.blobs) await expectBlobServed('gc/race', blob);
  });

  it('never stores a manifest whose blob is gone when both run at once', async () => {
    for (let round = 0; round < 30; round++) {
      // Orphans make the collection a run of transactions for the PUT to land among; the
      // staggered start varies where it lands.
      for (let i = 0; i < 10; i++) await pushBlob(main.url, 'gc/race', randomBlob(256));
      const image = await agedImage('gc/race');
      const collected = sleep(round % 6).then(() => gc());
      const [, put] = await Promise.all([
        collected,
        putManifest(main.url, 'gc/race', `round-${round}`, image.manifest),
      ]);
      await expectAllOrNothing('gc/race', put, image);
    }
  });
});

describe('outpost main gc (the built CLI)', () => {
  // The CLI process collects on the real clock, so this main runs on it too.
  useFreshMain(false);
  const run = promisify(execFile);
  const gcCli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [OUTPOST_BIN, 'main', 'gc', '--data', main.dataDir, ...args], {
      env: { ...process.env, OUTPOST_MAIN_AUTH__ENABLED: 'false', ...env },
    });
  const noGrace = { OUTPOST_MAIN_STORAGE__GC_GRACE_PERIOD: '0s' };

  it(
    'keeps blobs inside the default grace period, reports in a dry run, then removes unreferenced ' +
      'blobs while main serves',
    async () => {
      const orphan = randomBlob(2048);
      await pushBlob(main.url, 'gc/cli', orphan);
      const image = await pushImage(main.url, 'gc/cli', 'v1');

      expect((await gcCli([])).stdout).toBe('removed 0 of 4 blobs (0 B)\n');
      expect((await gcCli(['--dry-run'], noGrace)).stdout).toBe('would remove 1 of 4 blobs (2.0 KiB)\n');
      await expectBlobServed('gc/cli', orphan);

      expect((await gcCli([], noGrace)).stdout).toBe('removed 1 of 4 blobs (2.0 KiB)\n');
      expect(await blobStatus('gc/cli', orphan.digest)).toBe(404);
      for (const blob of [image.manifest.config, ...image.layers]) await expectBlobServed('gc/cli', blob);
    },
  );
});
