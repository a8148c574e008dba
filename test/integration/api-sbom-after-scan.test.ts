// The SBOM of an image scanned by main's own scan queue, end to end: push a layer holding this machine's dpkg
// status, ask for a scan through the API, and export and attach what the worker stored.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { api, apiOk, createUser } from '../helpers/api-client.js';
import { until } from '../helpers/registry-http.js';
import { debianImage, pushDebianImage } from '../helpers/scanned-image.js';

let main: TestMain;
let alice: string;
let digest: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  alice = await createUser(main.url, 'alice');
  digest = await pushDebianImage(main.url, alice, 'alice/app', 'v1', await debianImage());
});
afterAll(async () => {
  await main?.stop();
});

describe('an SBOM of what the scan queue stored', () => {
  it('lists every package of the dpkg status with its version, and attaches as a referrer', async () => {
    const sbom = () => api(main.url, 'GET', '/imagescan/sbom/alice/app/v1?format=cyclonedx', { auth: alice });
    expect((await sbom()).status).toBe(404);
    await apiOk(main.url, 'POST', '/imagescan/scan/alice/app/v1', 202, { auth: alice, body: {} });
    // Bounded wait (10 s) for the worker, which reads the layer in the background.
    await until(async () => (await main.service.scanStore.get(digest))?.state === 'done');
    const res = await sbom();
    expect(res.status).toBe(200);
    const bom = (await res.json()) as { components: Array<{ name: string; version?: string; type: string }> };
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const installed = status
      .split(/\n\n+/)
      .filter((stanza) => /^Status: install ok installed$/m.test(stanza))
      .map((stanza) => ({ name: /^Package: (.+)$/m.exec(stanza)![1], version: /^Version: (.+)$/m.exec(stanza)![1] }));
    const libraries = bom.components.filter((c) => c.type === 'library');
    expect(libraries.map((c) => `${c.name} ${c.version}`).sort()).toEqual(
      installed.map((p) => `${p.name} ${p.version}`).sort(),
    );
    const attached = await apiOk<{ digest: string }>(main.url, 'POST', '/imagescan/sbom/alice/app/v1/attach', 201, {
      auth: alice,
      body: {},
    });
    const referrers = await fetch(`${main.url}/v2/alice/app/referrers/${digest}`, {
      headers: { Authorization: alice },
    });
    expect(((await referrers.json()) as { manifests: Array<{ digest: string }> }).manifests).toEqual([
      expect.objectContaining({ digest: attached.digest, artifactType: 'application/vnd.cyclonedx+json' }),
    ]);
  });
});
