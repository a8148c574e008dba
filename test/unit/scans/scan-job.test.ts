/**
 * The `scan` job kind (main/scans/scan-job.ts) over the real LMDB registry metadata and scans
 * owners, the real file blob store and the real scan queue running: it queues each tag's image
 * not scanned or matched against an older database generation, follows the scans to their end,
 * and, cancelled, stops following while the queue keeps the scans. The images' layer holds this
 * machine's dpkg status. The vulnerability database is a stand-in whose generation the test sets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobCancelledError } from '../../../main/jobs/errors.js';
import { createJobs } from '../../../main/jobs/jobs.js';
import { createLmdbJobStore } from '../../../main/metadata/lmdb/jobs.js';
import type { JobContext, JobKind } from '../../../main/jobs/types.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbRegistryMetadata } from '../../../main/metadata/lmdb/registry.js';
import { createLmdbScanStore } from '../../../main/metadata/lmdb/scans.js';
import type { RegistryMetadata } from '../../../main/metadata/registry.js';
import type { ScanStore } from '../../../main/metadata/scans.js';
import { createScanJobKind, startRescanJob } from '../../../main/scans/scan-job.js';
import { createScanQueue, type ScanQueue } from '../../../main/scans/scan-queue.js';
import type { VulnerabilityDatabase } from '../../../main/vulndb/types.js';
import { parseDigest, type Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { tarOf } from '../../helpers/layer-tar.js';
import { blobOf, configBlob, imageManifest, type Blob } from '../../helpers/oci-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const ZERO = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };

/** A database whose generation the test changes; `gate` holds every match until released. */
function standInDatabase() {
  const db = {
    generation: 'g1' as string | null,
    matched: 0,
    gate: undefined as Promise<void> | undefined,
    async status() {
      return { generation: db.generation, importedAt: null, newestAdvisoryAt: null, advisoryCount: 0, ecosystems: {} };
    },
    async match() {
      db.matched++;
      await db.gate;
      return { generation: db.generation, findings: [], counts: { ...ZERO } };
    },
  };
  return db satisfies VulnerabilityDatabase;
}

let temp: TempDir;
let env: MainEnvironment;
let registry: RegistryMetadata;
let scans: ScanStore;
let blobs: FsBlobStore;
let queue: ScanQueue;
let db: ReturnType<typeof standInDatabase>;
let kind: JobKind;
let layer: Blob;

async function storeBlob(repo: RepoName, blob: Blob) {
  const staged = await blobs.stage(Readable.from([blob.bytes]), { digest: parseDigest(blob.digest), size: blob.size });
  await blobs.commit(staged);
  await registry.linkBlob(repo, blob.digest as Digest, blob.size, Date.now());
}

/** Pushes an image (config per architecture, so each is its own manifest) under `repo:tag`. */
async function pushImage(repo: string, tag: string, architecture: string, layers = [layer]) {
  const manifest = imageManifest({ layers, config: configBlob(architecture) });
  for (const blob of [manifest.config, ...layers]) await storeBlob(repo as RepoName, blob);
  const outcome = await registry.putManifest({
    repo: repo as RepoName,
    digest: manifest.digest as Digest,
    tag,
    actor: 'test',
    record: {
      mediaType: manifest.mediaType,
      size: manifest.size,
      bytes: manifest.bytes,
      blobs: [manifest.config, ...layers].map((b) => b.digest as Digest),
      children: [],
      createdAt: Date.now(),
    },
  });
  expect(outcome.kind).toBe('stored');
  return manifest.digest;
}

/** What the runner gives a job, recorded: its log and last progress. */
function jobContext(params: Record<string, unknown>) {
  const controller = new AbortController();
  const record = {
    lines: [] as string[],
    progress: undefined as { done: number; total?: number; message?: string } | undefined,
  };
  const context: JobContext = {
    id: 'job-1',
    params: kind.parseParams(params),
    signal: controller.signal,
    progress: (done, total, message) => {
      record.progress = { done, ...(total !== undefined && { total }), ...(message !== undefined && { message }) };
    },
    log: (line) => record.lines.push(line),
  };
  return { context, controller, record };
}

beforeEach(async () => {
  temp = await createTempDir('outpost-scan-job-');
  env = openMainEnvironment(join(temp.path, 'db'));
  registry = createLmdbRegistryMetadata(env.root);
  scans = createLmdbScanStore(env.root);
  blobs = await FsBlobStore.create(join(temp.path, 'blobs'));
  db = standInDatabase();
  const tar = await tarOf([{ path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status', 'utf8') }]);
  layer = blobOf(gzipSync(tar), 'application/vnd.oci.image.layer.v1.tar+gzip');
  queue = createScanQueue({
    store: scans,
    blobs,
    vulndb: db,
    worker: 'w1',
    concurrency: 2,
    singleProcess: true,
    logger: silentLogger,
    now: Date.now,
    pollIntervalMs: 100,
  });
  kind = createScanJobKind({
    registry,
    store: scans,
    enqueue: (request) => queue.enqueue(request),
    vulndb: db,
    now: Date.now,
    followIntervalMs: 20,
  });
});
afterEach(async () => {
  await queue.stop();
  await env.close();
  await temp.remove();
});

describe('the scan job', () => {
  it('queues every tag image not scanned yet, once per image, and follows the scans to done', async () => {
    await queue.start();
    const a = await pushImage('acme/app', 'v1', 'amd64');
    await pushImage('acme/app', 'latest', 'amd64');
    const b = await pushImage('acme/tool', 'v1', 'arm64');
    const { context, record } = jobContext({});
    expect(await kind.run(context)).toEqual({ queued: 2, done: 2, failed: 0, upToDate: 0 });
    for (const digest of [a, b]) {
      expect(await scans.get(digest)).toMatchObject({
        state: 'done',
        reason: 'request',
        result: { dbGeneration: 'g1' },
      });
    }
    expect(record.progress).toEqual({ done: 2, total: 2, message: '2 done, 0 failed' });
    expect(record.lines).toContain('acme/app: 1 images; queued 1, already queued 0, nothing to do 0');
    expect(record.lines).toContain('acme/tool: 1 images; queued 1, already queued 0, nothing to do 0');
    expect(record.lines.at(-1)).toBe('2 scans followed: 2 done, 0 failed; 0 images up to date');
    expect(db.matched).toBe(2);
  });

  it('leaves images matched against the current generation, rematches older ones, keeps to one repository', async () => {
    await queue.start();
    const a = await pushImage('acme/app', 'v1', 'amd64');
    const other = await pushImage('other/app', 'v1', 'arm64');
    expect((await kind.run(jobContext({ repository: 'acme/app' }).context)).done).toBe(1);
    expect(await scans.get(other)).toBeUndefined();
    expect(await kind.run(jobContext({ repository: 'acme/app' }).context)).toMatchObject({ queued: 0, upToDate: 1 });
    db.generation = 'g2';
    const { context } = jobContext({ onlyScanned: true });
    // Only what was scanned is rematched: other/app was never scanned.
    expect(await kind.run(context)).toEqual({ queued: 1, done: 1, failed: 0, upToDate: 1 });
    expect(await scans.get(a)).toMatchObject({ state: 'done', reason: 'vulndb', result: { dbGeneration: 'g2' } });
    expect(await scans.get(other)).toBeUndefined();
  });

  it('with `since`, counts as its own the rematches that ended before it looked at them', async () => {
    await queue.start();
    const a = await pushImage('acme/app', 'v1', 'amd64');
    await pushImage('acme/app', 'v2', 'arm64');
    expect((await kind.run(jobContext({}).context)).done).toBe(2);
    const since = Date.now();
    db.generation = 'g2';
    await queue.checkGeneration();
    await waitFor(
      async () => (await scans.counts()).done === 2 && (await scans.get(a))?.reason === 'vulndb',
      'rematches',
    );
    expect(await scans.get(a)).toMatchObject({ state: 'done', result: { dbGeneration: 'g2' } });
    const { context, record } = jobContext({ onlyScanned: true, since });
    expect(await kind.run(context)).toEqual({ queued: 2, done: 2, failed: 0, upToDate: 0 });
    expect(record.lines).toContain('acme/app: 2 images; queued 0, already queued 2, nothing to do 0');
    // Without it, they are up to date: nothing to follow.
    expect(await kind.run(jobContext({ onlyScanned: true }).context)).toMatchObject({ queued: 0, upToDate: 2 });
  });

  it('logs each failed scan with its tag and counts it', async () => {
    await queue.start();
    const broken = blobOf(Buffer.from('not gzip, not tar'.repeat(20)), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const digest = await pushImage('acme/app', 'broken', 'amd64', [broken]);
    await pushImage('acme/app', 'fine', 'arm64');
    const { context, record } = jobContext({});
    expect(await kind.run(context)).toEqual({ queued: 2, done: 1, failed: 1, upToDate: 0 });
    expect(record.lines.find((line) => line.startsWith('scan failed:'))).toMatch(
      new RegExp(`^scan failed: acme/app:broken \\(unknown\\) ${digest}: layer ${broken.digest} cannot be read`),
    );
  });

  it('fails for a repository that does not exist, and refuses bad parameters', async () => {
    await expect(kind.run(jobContext({ repository: 'acme/none' }).context)).rejects.toThrow(
      'repository "acme/none" does not exist',
    );
    expect(() => kind.parseParams({ repository: 'Not A Name' })).toThrow(/repository: must be a repository name/);
    expect(() => kind.parseParams({ everything: true })).toThrow(/everything/);
    expect(kind.parseParams({})).toEqual({ onlyScanned: false });
  });

  it('cancelled, stops following and leaves the queued scans to the scan queue, which runs them', async () => {
    let release = () => {};
    db.gate = new Promise((resolve) => (release = resolve));
    await queue.start();
    const digests = [
      await pushImage('acme/app', 'a', 'amd64'),
      await pushImage('acme/app', 'b', 'arm64'),
      await pushImage('acme/app', 'c', 's390x'),
    ];
    const { context, controller, record } = jobContext({});
    const running = kind.run(context);
    await waitFor(async () => record.progress?.total === 3 && db.matched === 2, 'the job to follow its scans');
    controller.abort(new JobCancelledError());
    await expect(running).rejects.toBeInstanceOf(JobCancelledError);
    expect(record.lines.at(-1)).toBe(
      'cancelled: stopped following; the 3 scans still queued or running stay in the scan queue and run as usual',
    );
    release();
    await waitFor(async () => (await scans.counts()).done === 3, 'the queue to run the scans anyway');
    for (const digest of digests) expect((await scans.get(digest))?.state).toBe('done');
  });

  it('after a new database, main starts one rescan job, not a second while the first still waits', async () => {
    // A runner that never claims: the first job stays waiting.
    const jobs = createJobs({
      store: createLmdbJobStore(env.root),
      runner: { kinds: new Map([[kind.kind, kind]]), poke: () => {}, abortLocal: () => false },
      now: Date.now,
    });
    expect(await startRescanJob(jobs, 1000)).toBe(true);
    expect(await startRescanJob(jobs, 2000)).toBe(false);
    const listed = await jobs.list({ kind: 'scan', limit: 10 });
    expect(listed).toMatchObject([{ state: 'waiting', startedBy: 'main', params: { onlyScanned: true, since: 1000 } }]);
  });

  it('says so when this replica runs no scans, and follows until cancelled', async () => {
    // The queue is not started: nothing here runs the scan, as on a replica with scans.concurrency 0.
    kind = createScanJobKind({
      registry,
      store: scans,
      enqueue: (request) => queue.enqueue(request),
      vulndb: db,
      now: Date.now,
      concurrency: 0,
      followIntervalMs: 20,
    });
    await pushImage('acme/app', 'v1', 'amd64');
    const { context, controller, record } = jobContext({});
    const running = kind.run(context);
    await waitFor(async () => record.progress?.message === '0 done, 0 failed', 'the job to follow');
    expect(record.lines).toContain(
      'this replica runs no scans (scans.concurrency 0): they wait for a replica that does',
    );
    controller.abort(new JobCancelledError());
    await expect(running).rejects.toBeInstanceOf(JobCancelledError);
    expect((await scans.counts()).queued).toBe(1);
  });
});
