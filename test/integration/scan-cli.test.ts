/**
 * `outpost main scan REPO:TAG` on the data directory of a running main: the command queues the
 * scan, main's worker runs it. Usage errors exit 2, an unknown tag exits 1, and nothing is queued.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk } from '../helpers/api-client.js';
import { pushBlobsAs } from '../helpers/image-fixtures.js';
import { tarOf } from '../helpers/layer-tar.js';
import { blobOf, imageManifest } from '../helpers/oci-fixtures.js';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';
import { runMainCli } from '../helpers/main-cli.js';

const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);
let main: TestMain;
let digest: string;

const cli = (args: string[]) => runMainCli(args, main.dataDir, main.backend);

beforeAll(async () => {
  main = await startTestMain({ scanPollIntervalMs: 100 });
  const layer = blobOf(
    gzipSync(await tarOf([{ path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') }])),
  );
  const manifest = imageManifest({ layers: [layer] });
  await pushBlobsAs(main.url, ADMIN, 'library/base', [manifest.config, layer]);
  const res = await fetch(`${main.url}/v2/library/base/manifests/v1`, {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
  expect(res.status).toBe(201);
  digest = manifest.digest;
});
afterAll(async () => {
  await main?.stop();
});

describe('outpost main scan', () => {
  it('queues each platform of the tag, and the running main scans it', async () => {
    const run = await cli(['scan', 'library/base:v1']);
    expect(run).toMatchObject({ code: 0, err: '', out: `queued unknown ${digest}\n` });
    const done = await waitFor(async () => {
      const body = await apiOk<{ platforms: { state: string; packages: unknown[] }[] }>(
        main.url,
        'GET',
        '/imagescan/repositories/library/base/v1',
        200,
        { auth: ADMIN },
      );
      return body.platforms[0]?.state === 'done' && body;
    }, 'the scan to finish');
    expect(done.platforms[0]?.packages.length).toBeGreaterThan(0);
  });

  it('exits 2 on bad usage and 1 for a tag that does not exist, queueing nothing', async () => {
    expect(await cli(['scan'])).toMatchObject({ code: 2, err: expect.stringMatching(/expected one REPO:TAG/) });
    expect(await cli(['scan', 'library/base'])).toMatchObject({ code: 2 });
    expect(await cli(['scan', 'library/base:v1', 'extra:v2'])).toMatchObject({ code: 2 });
    expect(await cli(['scan', 'library/base:nope'])).toMatchObject({
      code: 1,
      err: 'outpost main scan: library/base:nope does not exist\n',
    });
    const { queue } = await apiOk<{ queue: Record<string, number> }>(main.url, 'GET', '/imagescan/status', 200, {
      auth: ADMIN,
    });
    expect(queue).toMatchObject({ queued: 0, scanning: 0, done: 1, failed: 0 });
  });
});
