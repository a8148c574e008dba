/**
 * The scan queue (main/scans/scan-queue.ts) over the real LMDB scans owner and the real file blob
 * store, with a layer holding this machine's dpkg status. The vulnerability database is a stand-in
 * whose generation and findings the test sets (main/vulndb/ is tested on its own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbScanStore } from '../../../main/metadata/lmdb/scans.js';
import type { ScanStore } from '../../../main/metadata/scans.js';
import { createScanQueue, type ScanQueue } from '../../../main/scans/scan-queue.js';
import type { Inventory } from '../../../main/scan/types.js';
import type { VulnerabilityDatabase, VulnerabilityReport } from '../../../main/vulndb/types.js';
import { parseDigest } from '../../../src/oci/digest.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { tarOf } from '../../helpers/layer-tar.js';
import { sha256 } from '../../helpers/oci-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const STATUS = readFileSync('/var/lib/dpkg/status', 'utf8');
const installed = STATUS.split(/\n\n+/).filter((p) => /^Status: install ok installed$/m.test(p)).length;
const ZERO = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };

/** A database whose generation the test changes; `gate` holds every match until released. */
function standInDatabase() {
  const db = {
    generation: null as string | null,
    matched: 0,
    inFlight: 0,
    gate: undefined as Promise<void> | undefined,
    async status() {
      return { generation: db.generation, importedAt: null, newestAdvisoryAt: null, advisoryCount: 0, ecosystems: {} };
    },
    async match(_inventory: Inventory): Promise<VulnerabilityReport> {
      db.matched++;
      db.inFlight++;
      await db.gate;
      db.inFlight--;
      return { generation: db.generation, findings: [], counts: { ...ZERO } };
    },
  };
  return db satisfies VulnerabilityDatabase;
}

let temp: TempDir;
let env: MainEnvironment;
let store: ScanStore;
let blobs: FsBlobStore;
let queues: ScanQueue[];
let layer: { digest: string; mediaType: string };

async function putBlob(bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const staged = await blobs.stage(Readable.from([bytes]), { digest: parseDigest(digest), size: bytes.length });
  await blobs.commit(staged);
  return digest;
}

function startQueue(vulndb: VulnerabilityDatabase, concurrency = 1): ScanQueue {
  const queue = createScanQueue({
    store,
    blobs,
    vulndb,
    worker: `w${queues.length}`,
    concurrency,
    singleProcess: true,
    logger: silentLogger,
    now: Date.now,
  });
  queues.push(queue);
  return queue;
}

const enqueue = (queue: ScanQueue, n: number, layers = [layer]) =>
  queue.enqueue({ manifestDigest: `sha256:${String(n).padStart(64, '0')}`, reason: 'push', layers, at: Date.now() });
const scanOf = (n: number) => store.get(`sha256:${String(n).padStart(64, '0')}`);

beforeEach(async () => {
  temp = await createTempDir('outpost-scan-queue-');
  env = openMainEnvironment(join(temp.path, 'db'));
  store = createLmdbScanStore(env.root);
  blobs = await FsBlobStore.create(join(temp.path, 'blobs'));
  queues = [];
  const tar = await tarOf([{ path: 'var/lib/dpkg/status', content: STATUS }]);
  layer = { digest: await putBlob(gzipSync(tar)), mediaType: GZIP_LAYER };
});
afterEach(async () => {
  for (const queue of queues) await queue.stop();
  await env.close();
  await temp.remove();
});

describe('the scan queue', () => {
  it("runs a queued scan to done with the inventory read from the stored layer (this machine's dpkg status)", async () => {
    const queue = startQueue(standInDatabase());
    await queue.start();
    expect(await enqueue(queue, 1)).toBe('queued');
    await waitFor(async () => (await scanOf(1))?.state === 'done', 'the scan to finish');
    const scan = await scanOf(1);
    expect(scan?.result?.inventory.packages.filter((p) => p.ecosystem === 'deb')).toHaveLength(installed);
    expect(scan?.result?.inventory.layers).toEqual([layer.digest]);
    expect(scan?.result).toMatchObject({ vulnerabilities: [], counts: ZERO, dbGeneration: null });
  });

  it('runs at most `concurrency` scans at once, the rest wait in the queue', async () => {
    const db = standInDatabase();
    let release = () => {};
    db.gate = new Promise((resolve) => (release = resolve));
    const queue = startQueue(db, 2);
    await queue.start();
    for (const n of [1, 2, 3]) await enqueue(queue, n);
    await waitFor(async () => db.inFlight === 2, 'two scans to reach matching');
    expect(await store.counts()).toEqual({ queued: 1, scanning: 2, done: 0, failed: 0 });
    release();
    await waitFor(async () => (await store.counts()).done === 3, 'all three to finish');
    expect(db.matched).toBe(3);
  });

  it('at start, queues again and runs the scans a crash left scanning', async () => {
    await store.enqueue({ manifestDigest: `sha256:${'0'.repeat(63)}1`, reason: 'push', layers: [layer], at: 1 });
    expect(await store.claim('crashed-process', 2)).toBeDefined();
    const queue = startQueue(standInDatabase());
    await queue.start();
    await waitFor(async () => (await scanOf(1))?.state === 'done', 'the interrupted scan to finish');
    expect((await scanOf(1))?.result?.inventory.packages.length).toBeGreaterThan(0);
  });

  it('fails a scan whose layer is not a layer, with a message naming it, and goes on with the next', async () => {
    const queue = startQueue(standInDatabase());
    await queue.start();
    const notGzip = {
      digest: await putBlob(Buffer.from('not a tar, not gzip, just text'.repeat(30))),
      mediaType: GZIP_LAYER,
    };
    await enqueue(queue, 1, [layer, notGzip]);
    await enqueue(queue, 2);
    await waitFor(async () => (await scanOf(2))?.state === 'done', 'the next scan to finish');
    const failed = await scanOf(1);
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toMatch(new RegExp(`^layer ${notGzip.digest} cannot be read: `));
    expect(failed?.result).toBeUndefined();
  });

  it('fails a scan whose layer is gone from the blob store', async () => {
    const queue = startQueue(standInDatabase());
    await queue.start();
    const gone = `sha256:${'e'.repeat(64)}`;
    await enqueue(queue, 1, [{ digest: gone, mediaType: GZIP_LAYER }]);
    await waitFor(async () => (await scanOf(1))?.state === 'failed', 'the scan to fail');
    expect((await scanOf(1))?.error).toBe(`layer ${gone} is not in the blob store (deleted since the push?)`);
  });

  it('rematches stored inventories when the database generation changes, without reading a layer again', async () => {
    const db = standInDatabase();
    const queue = startQueue(db);
    await queue.start();
    await enqueue(queue, 1);
    await waitFor(async () => (await scanOf(1))?.state === 'done', 'the first scan');
    const first = await scanOf(1);
    // Reading the layer again would now fail the scan.
    await blobs.delete(parseDigest(layer.digest));
    db.generation = 'generation-2';
    await queue.checkGeneration();
    await waitFor(async () => (await scanOf(1))?.result?.dbGeneration === 'generation-2', 'the rematch');
    const again = await scanOf(1);
    expect(again).toMatchObject({ state: 'done', reason: 'vulndb' });
    expect(again?.result?.inventory).toEqual(first?.result?.inventory);
    expect(db.matched).toBe(2);
    // The same generation again queues nothing.
    await queue.checkGeneration();
    expect(await store.counts()).toEqual({ queued: 0, scanning: 0, done: 1, failed: 0 });
  });
});
