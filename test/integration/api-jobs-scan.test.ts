/**
 * The `scan` job through `/api/v0/jobs` on a real main (token auth on, LMDB, the scan queue
 * running): an admin's job scans every tag's image not scanned yet, who may start one, and the
 * job main starts itself when a new vulnerability database generation is seen, so the rescan
 * shows among the jobs. The images hold this machine's dpkg status; the database is a stand-in
 * whose generation the test changes (main/vulndb/ is tested on its own).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VulnerabilityDatabase } from '../../main/vulndb/types.js';
import { ADMIN, api, apiOk, createUser, expectApiError, putManifestAs } from '../helpers/api-client.js';
import { pushBlobsAs } from '../helpers/image-fixtures.js';
import { tarOf } from '../helpers/layer-tar.js';
import { blobOf, configBlob, imageManifest } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

interface JobView {
  id: string;
  kind: string;
  state: string;
  startedBy: string;
  params: Record<string, unknown>;
  summary?: Record<string, unknown>;
  progress: { done: number; total?: number };
}

const ZERO = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };

function standInDatabase() {
  const db = {
    generation: 'g1',
    /** Holds every match while set (the cancel test). */
    gate: undefined as Promise<void> | undefined,
    async status() {
      return { generation: db.generation, importedAt: null, newestAdvisoryAt: null, advisoryCount: 0, ecosystems: {} };
    },
    async match() {
      await db.gate;
      return { generation: db.generation, findings: [], counts: { ...ZERO } };
    },
  };
  return db satisfies VulnerabilityDatabase;
}

const db = standInDatabase();
let main: TestMain;
let base: string;
let alice: string;

const ended = (id: string) =>
  waitFor(async () => {
    const job = await apiOk<JobView>(base, 'GET', `/jobs/${id}`, 200, { auth: ADMIN });
    return ['done', 'failed', 'cancelled'].includes(job.state) && job;
  }, `job ${id} to end`);
const platformsOf = async (path: string) =>
  (
    await apiOk<{ platforms: { state: string; dbGeneration?: string }[] }>(
      base,
      'GET',
      `/imagescan/repositories/${path}`,
      200,
      {
        auth: ADMIN,
      },
    )
  ).platforms;

async function pushImage(name: string, tag: string, architecture: string) {
  const tar = await tarOf([{ path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') }]);
  const layer = blobOf(gzipSync(tar));
  const manifest = imageManifest({ layers: [layer], config: configBlob(architecture) });
  await pushBlobsAs(base, alice, name, [manifest.config, layer]);
  const res = await putManifestAs(base, alice, name, tag, manifest);
  expect(res.status, await res.text()).toBe(201);
}

beforeAll(async () => {
  main = await startTestMain({ auth: true, vulnerabilityDatabase: db, scanPollIntervalMs: 200 });
  base = main.url;
  alice = await createUser(base, 'alice');
  await pushImage('alice/app', 'v1', 'amd64');
  await pushImage('alice/tool', 'v1', 'arm64');
});
afterAll(async () => {
  await main?.stop();
});

describe('the scan job', () => {
  it('is refused to anonymous callers and to users who are not administrators, and with bad parameters', async () => {
    const body = { kind: 'scan' };
    await expectApiError(await api(base, 'POST', '/jobs', { body }), 401, 'UNAUTHORIZED', /sign in/);
    await expectApiError(
      await api(base, 'POST', '/jobs', { auth: alice, body }),
      403,
      'NO_PERMISSION',
      /administrators/,
    );
    const bad = { kind: 'scan', params: { repository: 'Not A Name' } };
    await expectApiError(
      await api(base, 'POST', '/jobs', { auth: ADMIN, body: bad }),
      400,
      'INVALID_INPUT',
      /repository/,
    );
    expect((await platformsOf('alice/app/v1'))[0]?.state).toBe('not_scanned');
  });

  it("started by an admin, scans every tag's image not scanned yet and ends done", async () => {
    const started = await apiOk<JobView>(base, 'POST', '/jobs', 202, { auth: ADMIN, body: { kind: 'scan' } });
    expect(started).toMatchObject({ kind: 'scan', startedBy: 'admin', params: { onlyScanned: false } });
    const job = await ended(started.id);
    expect(job).toMatchObject({ state: 'done', summary: { queued: 2, done: 2, failed: 0, upToDate: 0 } });
    expect(job.progress).toMatchObject({ done: 2, total: 2 });
    for (const path of ['alice/app/v1', 'alice/tool/v1'])
      expect(await platformsOf(path)).toMatchObject([{ state: 'done', dbGeneration: 'g1' }]);
    const log = await apiOk<{ lines: string[] }>(base, 'GET', `/jobs/${job.id}/logs`, 200, { auth: ADMIN });
    expect(log.lines).toContain('alice/app: 1 images; queued 1, already queued 0, nothing to do 0');
    expect(log.lines).toContain('alice/tool: 1 images; queued 1, already queued 0, nothing to do 0');
  });

  it('is started by main when a new database generation is seen, and rematches what was scanned', async () => {
    db.generation = 'g2';
    await main.service.scanQueue.checkGeneration();
    const byMain = await waitFor(async () => {
      const { jobs } = await apiOk<{ jobs: JobView[] }>(base, 'GET', '/jobs?kind=scan', 200, { auth: ADMIN });
      return jobs.find((j) => j.startedBy === 'main');
    }, 'main to start a scan job');
    expect(byMain.params).toEqual({ onlyScanned: true, since: expect.any(Number) });
    expect(await ended(byMain.id)).toMatchObject({ state: 'done', summary: { queued: 2, done: 2, failed: 0 } });
    for (const path of ['alice/app/v1', 'alice/tool/v1'])
      expect(await platformsOf(path)).toMatchObject([{ state: 'done', dbGeneration: 'g2' }]);
  });

  it('cancelled, stops following and leaves its scans to the scan queue, which runs them', async () => {
    let release = () => {};
    db.gate = new Promise((resolve) => (release = resolve));
    try {
      await pushImage('alice/app', 'v2', 's390x');
      const started = await apiOk<JobView>(base, 'POST', '/jobs', 202, { auth: ADMIN, body: { kind: 'scan' } });
      await waitFor(async () => {
        const job = await apiOk<JobView>(base, 'GET', `/jobs/${started.id}`, 200, { auth: ADMIN });
        return job.progress.total === 1;
      }, 'the job to follow the new scan');
      await apiOk(base, 'DELETE', `/jobs/${started.id}`, 200, { auth: ADMIN });
      expect((await ended(started.id)).state).toBe('cancelled');
      const log = await apiOk<{ lines: string[] }>(base, 'GET', `/jobs/${started.id}/logs`, 200, { auth: ADMIN });
      expect(log.lines).toContain(
        'cancelled: stopped following; the 1 scans still queued or running stay in the scan queue and run as usual',
      );
    } finally {
      release();
      db.gate = undefined;
    }
    await waitFor(async () => (await platformsOf('alice/app/v2'))[0]?.state === 'done', 'the queue to run the scan');
  });
});
