/**
 * Scans matched against the real vulnerability database: an image holding real package databases
 * (test/fixtures/inventory/: stanzas of this machine's dpkg status, Debian 12's pip METADATA) is
 * scanned with no database (no findings), then `outpost main vulndb import` of the real OSV
 * advisories of test/fixtures/osv/ (README there) runs beside the running main, and the next
 * generation check rematches the stored inventory: the findings are those the README lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainCli } from '../../main/cli.js';
import { ADMIN, apiOk } from '../helpers/api-client.js';
import { pushBlobsAs } from '../helpers/image-fixtures.js';
import { tarOf } from '../helpers/layer-tar.js';
import { blobOf, imageManifest } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { backendArgs } from '../helpers/test-backend.js';
import { waitFor } from '../helpers/wait-for.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
type Json = any;

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const PIP_METADATA = 'usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA';
let main: TestMain;
let layer: string;

const results = (): Promise<Json> =>
  apiOk(main.url, 'GET', '/imagescan/repositories/library/debian/12', 200, { auth: ADMIN });

beforeAll(async () => {
  main = await startTestMain({ auth: true, scanPollIntervalMs: 200 });
  const tar = await tarOf([
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    { path: 'var/lib/dpkg/status', content: readFileSync(join(FIXTURES, 'inventory', 'dpkg-status')) },
    { path: PIP_METADATA, content: readFileSync(join(FIXTURES, 'inventory', 'pip-23.0.1-METADATA')) },
  ]);
  const blob = blobOf(gzipSync(tar));
  layer = blob.digest;
  const manifest = imageManifest({ layers: [blob] });
  await pushBlobsAs(main.url, ADMIN, 'library/debian', [manifest.config, blob]);
  const res = await fetch(`${main.url}/v2/library/debian/manifests/12`, {
    method: 'PUT',
    headers: { Authorization: ADMIN, 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await main?.stop();
});

describe('scans and the imported vulnerability database', () => {
  it('finds nothing before any import, then the advisories of the imported OSV records', async () => {
    await apiOk(main.url, 'POST', '/imagescan/scan/library/debian/12', 202, { auth: ADMIN, body: {} });
    const first = await waitFor(async () => {
      const body = await results();
      return body.platforms[0].state === 'done' && body;
    }, 'the first scan');
    expect(first.platforms[0]).toMatchObject({ dbGeneration: null, vulnerabilities: [] });
    expect(first.platforms[0].packages.map((p: Json) => p.name).sort()).toEqual(
      ['bash', 'libapparmor1', 'libc6', 'libssl3', 'openssl', 'pip', 'zlib1g'].sort(),
    );

    const out = { text: '', err: '' };
    const code = await mainCli(
      ['vulndb', 'import', join(FIXTURES, 'osv'), '--data', main.dataDir, ...backendArgs(main.backend)],
      {},
      { out: (s) => void (out.text += s), err: (s) => void (out.err += s), readPassword: async () => '' },
    );
    expect(code, out.err).toBe(0);
    // The periodic check (every 30 s) and this call run the same code.
    await main.service.scanQueue.checkGeneration();

    const body = await waitFor(async () => {
      const b = await results();
      return b.platforms[0].dbGeneration !== null && b.platforms[0].state === 'done' && b;
    }, 'the rematch');
    const [platform] = body.platforms;
    expect(platform.reason).toBe('vulndb');
    const found = platform.vulnerabilities.map((f: Json) => [f.id, f.package.name, f.package.version, f.severity]);
    expect(found.sort()).toEqual([
      ['DEBIAN-CVE-2016-1585', 'libapparmor1', '3.0.8-3', 'low'],
      ['GHSA-mq26-g339-26xf', 'pip', '23.0.1', 'medium'],
    ]);
    expect(platform.vulnerabilities.every((f: Json) => f.package.layer === layer)).toBe(true);
    expect(platform.counts).toEqual({ critical: 0, high: 0, medium: 1, low: 1, unknown: 0 });
    expect(body.counts).toEqual(platform.counts);

    const status = await apiOk<Json>(main.url, 'GET', '/imagescan/status', 200, { auth: ADMIN });
    expect(status.database.generation).toBe(platform.dbGeneration);
    expect(status.database.advisoryCount).toBeGreaterThanOrEqual(9);
    expect(status.queue).toMatchObject({ queued: 0, scanning: 0, done: 1, failed: 0 });
  });
});
