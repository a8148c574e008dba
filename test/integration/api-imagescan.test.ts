/**
 * Image scanning through the registry and `/api/v0/imagescan`: scan on push, scans on demand, a
 * tag's inventory and findings per platform, the status, the refusals, a failing layer, a rescan
 * when the vulnerability database changes, and a queue that outlives a restart. The images hold
 * real content: this machine's dpkg status and os-release, and this project's tar-stream package.
 * The vulnerability database is a stand-in whose generation the test changes (main/vulndb/ and its
 * matching are tested on their own); its one finding is attached to the real tar-stream package.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../main/scan/types.js';
import type { Finding, VulnerabilityDatabase } from '../../main/vulndb/types.js';
import { ADMIN, api, apiOk, createUser, expectApiError, putManifestAs } from '../helpers/api-client.js';
import { pushBlobsAs } from '../helpers/image-fixtures.js';
import { tarOf } from '../helpers/layer-tar.js';
import { blobOf, configBlob, imageManifest, indexManifest, type Blob } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
type Json = any;

// dpkg-query's own field syntax, ${Version}, not a template.
const DPKG_VERSION = execFileSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'dpkg']).toString();
const TAR_STREAM = JSON.parse(readFileSync('node_modules/tar-stream/package.json', 'utf8')) as { version: string };
const ZERO = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };

/** The stand-in database: generation null (nothing imported) until the test imports "g2". */
function standInDatabase() {
  const db = {
    generation: null as string | null,
    async status() {
      const imported = db.generation !== null;
      return {
        generation: db.generation,
        importedAt: imported ? '2026-11-30T00:00:00.000Z' : null,
        newestAdvisoryAt: null,
        advisoryCount: imported ? 1 : 0,
        ecosystems: (imported ? { npm: 1 } : {}) as Record<string, number>,
      };
    },
    async match(inventory: Inventory) {
      const findings: Finding[] = inventory.packages
        .filter((p) => db.generation !== null && p.ecosystem === 'npm' && p.name === 'tar-stream')
        .map((p) => ({
          id: 'STAND-IN-0001',
          aliases: [],
          severity: 'high',
          package: { ecosystem: p.ecosystem, name: p.name, version: p.version, purl: p.purl, layer: p.layer },
        }));
      return { generation: db.generation, findings, counts: { ...ZERO, high: findings.length } };
    },
  };
  return db satisfies VulnerabilityDatabase;
}

async function realLayers(): Promise<{ debian: Blob; node: Blob }> {
  const debian = await tarOf([
    { path: 'etc/os-release', content: readFileSync('/etc/os-release') },
    { path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') },
  ]);
  const node = await tarOf([
    { path: 'app/node_modules/tar-stream/package.json', content: readFileSync('node_modules/tar-stream/package.json') },
  ]);
  return { debian: blobOf(gzipSync(debian)), node: blobOf(gzipSync(node)) };
}

async function pushImage(base: string, auth: string, name: string, ref: string, layers: Blob[], arch = 'amd64') {
  const manifest = imageManifest({ layers, config: configBlob(arch) });
  await pushBlobsAs(base, auth, name, [manifest.config, ...layers]);
  const res = await putManifestAs(base, auth, name, ref, manifest);
  expect(res.status, await res.text()).toBe(201);
  return manifest;
}

const results = (base: string, path: string, auth = ADMIN): Promise<Json> =>
  apiOk(base, 'GET', `/imagescan/repositories/${path}`, 200, { auth });
const untilState = (base: string, path: string, state: string) =>
  waitFor(async () => {
    const body = await results(base, path);
    return body.platforms.every((p: Json) => p.state === state) && body;
  }, `${path} to be ${state}`);

describe('/api/v0/imagescan', () => {
  let main: TestMain;
  let base: string;
  let alice: string;
  let bob: string;
  let layers: { debian: Blob; node: Blob };
  const db = standInDatabase();

  beforeAll(async () => {
    main = await startTestMain({ auth: true, vulnerabilityDatabase: db, scanPollIntervalMs: 200 });
    base = main.url;
    alice = await createUser(base, 'alice');
    bob = await createUser(base, 'bob');
    layers = await realLayers();
    await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'app' } });
  });
  afterAll(async () => {
    await main?.stop();
  });

  it('scans a push to a repository that scans on push, with the real inventory and its layers', async () => {
    expect(
      await apiOk(base, 'PUT', '/imagescan/settings/alice/app', 200, { auth: alice, body: { scanOnPush: true } }),
    ).toEqual({ scanOnPush: true, inherited: false });
    const image = await pushImage(base, alice, 'alice/app', 'pushed', [layers.debian, layers.node]);
    const body = await untilState(base, 'alice/app/pushed', 'done');
    expect(body).toMatchObject({
      namespace: 'alice',
      reponame: 'app',
      tag: 'pushed',
      digest: image.digest,
      counts: ZERO,
    });
    const [platform] = body.platforms;
    expect(platform).toMatchObject({
      digest: image.digest,
      state: 'done',
      reason: 'push',
      counts: ZERO,
      vulnerabilities: [],
    });
    const dpkg = platform.packages.find((p: Json) => p.ecosystem === 'deb' && p.name === 'dpkg');
    expect(dpkg).toMatchObject({ version: DPKG_VERSION, layer: layers.debian.digest });
    const tarStream = platform.packages.find((p: Json) => p.ecosystem === 'npm' && p.name === 'tar-stream');
    expect(tarStream).toMatchObject({
      version: TAR_STREAM.version,
      layer: layers.node.digest,
      purl: `pkg:npm/tar-stream@${TAR_STREAM.version}`,
    });
    // The same image pushed under another tag is the same manifest: its scan is not run again.
    // A later push is scanned after anything the re-push would have queued (the queue is first in, first out).
    const again = await putManifestAs(base, alice, 'alice/app', 'pushed-again', image);
    expect(again.status).toBe(201);
    await pushImage(base, alice, 'alice/app', 'marker', [layers.node]);
    await untilState(base, 'alice/app/marker', 'done');
    const rescanned = (await results(base, 'alice/app/pushed-again')).platforms[0];
    expect(rescanned).toMatchObject({ state: 'done', finishedAt: platform.finishedAt });
  });

  it('leaves a push unscanned unless the repository or the registry scans on push; scans it on request', async () => {
    await apiOk(base, 'PUT', '/imagescan/settings/alice/app', 200, { auth: alice, body: { scanOnPush: null } });
    expect(await apiOk(base, 'GET', '/imagescan/settings/alice/app', 200, { auth: alice })).toEqual({
      scanOnPush: false,
      inherited: true,
    });
    const amd64 = await pushImage(base, alice, 'alice/app', 'amd64-only', [layers.debian], 'amd64');
    const arm64 = await pushImage(base, alice, 'alice/app', 'arm64-only', [layers.node], 'arm64');
    const index = indexManifest([
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    expect((await putManifestAs(base, alice, 'alice/app', 'multi', index)).status).toBe(201);
    const before = await results(base, 'alice/app/multi');
    expect(before.platforms.map((p: Json) => [p.platform, p.state])).toEqual([
      ['linux/amd64', 'not_scanned'],
      ['linux/arm64/v8', 'not_scanned'],
    ]);
    const started = await apiOk<Json>(base, 'POST', '/imagescan/scan/alice/app/multi', 202, { auth: alice, body: {} });
    expect(started.platforms).toEqual([
      { platform: 'linux/amd64', digest: amd64.digest, outcome: 'queued' },
      { platform: 'linux/arm64/v8', digest: arm64.digest, outcome: 'queued' },
    ]);
    const done = await untilState(base, 'alice/app/multi', 'done');
    expect(done.platforms.map((p: Json) => p.reason)).toEqual(['request', 'request']);
    expect(done.platforms[0].packages.some((p: Json) => p.name === 'dpkg')).toBe(true);
    expect(done.platforms[1].packages.map((p: Json) => p.name)).toEqual(['tar-stream']);
  });

  it('marks a scan failed, with a message naming the layer, when a layer is not a layer', async () => {
    const broken = blobOf(Buffer.from('plain text where a gzip layer should be\n'.repeat(20)));
    await pushImage(base, alice, 'alice/app', 'broken', [layers.debian, broken]);
    await apiOk(base, 'POST', '/imagescan/scan/alice/app/broken', 202, { auth: alice, body: {} });
    const body = await untilState(base, 'alice/app/broken', 'failed');
    expect(body.platforms[0].error).toMatch(new RegExp(`^layer ${broken.digest} cannot be read: `));
    expect(body.platforms[0].packages).toEqual([]);
  });

  it('matches every stored inventory again when a new database is imported', async () => {
    db.generation = 'g2';
    await main.service.scanQueue.checkGeneration();
    const body = await waitFor(async () => {
      const b = await results(base, 'alice/app/pushed');
      return b.platforms[0].dbGeneration === 'g2' && b.platforms[0].state === 'done' && b;
    }, 'the rematch');
    expect(body.platforms[0].reason).toBe('vulndb');
    expect(body.platforms[0].vulnerabilities).toEqual([
      expect.objectContaining({ id: 'STAND-IN-0001', package: expect.objectContaining({ name: 'tar-stream' }) }),
    ]);
    expect(body.counts).toEqual({ ...ZERO, high: 1 });
    const status = await apiOk<Json>(base, 'GET', '/imagescan/status', 200, { auth: ADMIN });
    expect(status.database).toMatchObject({
      generation: 'g2',
      advisoryCount: 1,
      importedAt: '2026-11-30T00:00:00.000Z',
    });
    expect(status.database.ageSeconds).toBeGreaterThan(0);
  });

  it('reports the queue to signed-in users, and which images are queued to administrators only', async () => {
    // The rematch of the previous test may still be running.
    const forAlice = await waitFor(async () => {
      const status = await apiOk<Json>(base, 'GET', '/imagescan/status', 200, { auth: alice });
      return status.queue.queued + status.queue.scanning === 0 && status;
    }, 'the queue to empty');
    expect(forAlice.queue).toMatchObject({ concurrency: 1, failed: 1 });
    expect(forAlice.queue.done).toBeGreaterThanOrEqual(3);
    expect(forAlice.active).toBeUndefined();
    expect((await apiOk<Json>(base, 'GET', '/imagescan/status', 200, { auth: ADMIN })).active).toEqual([]);
    await expectApiError(await api(base, 'GET', '/imagescan/status'), 401, 'UNAUTHORIZED', /sign in/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('outpost_main_scans{state="failed"} 1');
    expect(metrics).toContain('outpost_main_scans{state="queued"} 0');
  });

  it('refuses: 401 anonymous, 404 without pull, 403 with pull only; unknown tags 404, bad ones 400', async () => {
    const scan = (path: string, auth?: string) =>
      api(base, 'POST', `/imagescan/scan/${path}`, { ...(auth && { auth }), body: {} });
    await expectApiError(await scan('alice/app/pushed'), 401, 'UNAUTHORIZED', /sign in/);
    await expectApiError(
      await scan('alice/app/pushed', bob),
      404,
      'NOT_FOUND',
      /repository "alice\/app" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/imagescan/repositories/alice/app/pushed', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "alice\/app" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/imagescan/repositories/alice/app/pushed'),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await apiOk(base, 'PATCH', '/repositories/alice/app', 200, { auth: alice, body: { visibility: 'public' } });
    expect((await results(base, 'alice/app/pushed', bob)).platforms).toHaveLength(1);
    await expectApiError(await scan('alice/app/pushed', bob), 403, 'NO_PERMISSION', /may push to "alice\/app"/);
    await expectApiError(
      await api(base, 'PUT', '/imagescan/settings/alice/app', { auth: bob, body: { scanOnPush: true } }),
      403,
      'NO_PERMISSION',
      /administer "alice\/app"/,
    );
    await expectApiError(
      await scan('alice/app/nope', alice),
      404,
      'NOT_FOUND',
      /tag "nope" does not exist in "alice\/app"/,
    );
    await expectApiError(
      await scan('alice/nothing/latest', alice),
      404,
      'NOT_FOUND',
      /"alice\/nothing" does not exist/,
    );
    await expectApiError(await scan('alice/app/-bad', alice), 400, 'INVALID_INPUT', /a tag is/);
    await expectApiError(
      await api(base, 'GET', `/imagescan/repositories/alice/app/${'t'.repeat(150)}`, { auth: alice }),
      400,
      'INVALID_INPUT',
      /a tag is/,
    );
    await expectApiError(
      await api(base, 'PUT', '/imagescan/settings/alice/app', { auth: alice, body: { scanOnPush: 'yes' } }),
      400,
      'INVALID_INPUT',
      /scanOnPush/,
    );
  });
});

describe("a repository's scan-on-push choice", () => {
  it('goes with the repository: one created again under the name follows the registry setting', async () => {
    const main = await startTestMain({ auth: true });
    try {
      const alice = await createUser(main.url, 'alice');
      const settings = '/imagescan/settings/alice/tmp';
      await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'tmp' } });
      await apiOk(main.url, 'PUT', settings, 200, { auth: alice, body: { scanOnPush: true } });
      expect(await apiOk(main.url, 'GET', settings, 200, { auth: alice })).toEqual({
        scanOnPush: true,
        inherited: false,
      });
      await apiOk(main.url, 'DELETE', '/repositories/alice/tmp', 204, { auth: alice });
      await expectApiError(await api(main.url, 'GET', settings, { auth: alice }), 404, 'NOT_FOUND', /does not exist/);
      await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'tmp' } });
      expect(await apiOk(main.url, 'GET', settings, 200, { auth: alice })).toEqual({
        scanOnPush: false,
        inherited: true,
      });
    } finally {
      await main.stop();
    }
  });
});

describe('the scan queue across a restart', () => {
  it('runs after a restart the scans queued before the stop', async () => {
    const temp = await createTempDir('outpost-scan-restart-');
    let main: TestMain | undefined;
    let removeBackend = async () => {};
    try {
      // First run: scans are queued (the registry scans every push) but this main runs none.
      main = await startTestMain({ auth: true, dataDir: temp.path, env: { OUTPOST_MAIN_SCANS__CONCURRENCY: '0' } });
      removeBackend = main.backend.remove;
      await apiOk(main.url, 'POST', '/meta/settings', 200, { auth: ADMIN, body: { scanOnPush: true } });
      const { debian } = await realLayers();
      const image = await pushImage(main.url, ADMIN, 'library/base', 'v1', [debian]);
      const queued = await waitFor(async () => {
        const b = await results(main!.url, 'library/base/v1');
        return b.platforms[0].state === 'queued' && b;
      }, 'the push to be queued');
      expect(queued.platforms[0]).toMatchObject({ digest: image.digest, reason: 'push', packages: [] });
      await main.service.stop();
      main = undefined;

      main = await startTestMain({ auth: true, dataDir: temp.path, scanPollIntervalMs: 200 });
      const done = await untilState(main.url, 'library/base/v1', 'done');
      expect(done.platforms[0].packages.some((p: Json) => p.name === 'dpkg' && p.version === DPKG_VERSION)).toBe(true);
    } finally {
      await main?.service.stop();
      await removeBackend();
      await temp.remove();
    }
  });
});
