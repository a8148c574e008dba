// SBOM export (issue 12): `GET /api/v0/imagescan/sbom/<ns>/<repo>/<tag>` renders the stored inventory of a
// scanned image (real dpkg content) as CycloneDX 1.5 or SPDX 2.3 with their required fields, and
// `POST .../attach` pushes it as an OCI referrer that the /v2 referrers API lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { api, apiOk, createUser, expectApiError, pushImageAs } from '../helpers/api-client.js';
import { pushDetailsFixtures, type DetailsFixtures } from '../helpers/image-fixtures.js';
import {
  NO_SCAN_WORKER,
  debianFindings,
  debianImage,
  pushDebianImage,
  storeScan,
  type DebianImage,
} from '../helpers/scanned-image.js';

let main: TestMain;
let alice: string;
let bob: string;
let image: DebianImage;
let digest: string;
let fixtures: DetailsFixtures;
const scannedAt = '2026-12-01T06:00:00.000Z';

const sbom = (path: string, auth = alice) => api(main.url, 'GET', `/imagescan/sbom/${path}`, { auth });
const json = async (res: Response) => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Record<string, unknown>;
};

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: NO_SCAN_WORKER });
  alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, {
    auth: alice,
    body: { name: 'app', visibility: 'public' },
  });
  await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'secret' } });
  image = await debianImage();
  digest = await pushDebianImage(main.url, alice, 'alice/app', 'v1', image);
  await pushImageAs(main.url, alice, 'alice/app', 'unscanned');
  await pushDebianImage(main.url, alice, 'alice/secret', 'v1', image);
  await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'multi' } });
  fixtures = await pushDetailsFixtures(main.url, alice, 'alice/multi');
  await storeScan(main.service.scanStore, fixtures.arm64.digest, {
    inventory: { packages: [], skipped: [], layers: [] },
    vulnerabilities: [],
    dbGeneration: 'test-1',
    scannedAt,
  });
  await storeScan(main.service.scanStore, digest, {
    inventory: image.inventory,
    vulnerabilities: debianFindings(image.inventory),
    dbGeneration: 'test-1',
    scannedAt,
  });
});
afterAll(async () => {
  await main?.stop();
});

describe('GET /api/v0/imagescan/sbom/<ns>/<repo>/<tag>', () => {
  it('answers CycloneDX 1.5 by default: required fields, the image as metadata.component, a purl per package', async () => {
    const res = await sbom('alice/app/v1');
    expect(res.headers.get('content-type')).toBe('application/vnd.cyclonedx+json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="alice-app_v1_linux-amd64.cdx.json"');
    const bom = await json(res);
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata).toMatchObject({
      timestamp: '2026-12-01T06:00:00Z',
      component: { type: 'container', name: 'alice/app', version: digest },
    });
    const components = bom.components as Array<Record<string, unknown>>;
    expect(components).toHaveLength(image.inventory.packages.length + 1);
    for (const c of components) expect(typeof c.type === 'string' && typeof c.name === 'string').toBe(true);
    expect(components[0]).toMatchObject({ type: 'operating-system', name: 'debian', version: '12' });
    const apt = image.inventory.packages.find((p) => p.name === 'apt')!;
    expect(components).toContainEqual(
      expect.objectContaining({ type: 'library', name: 'apt', version: apt.version, purl: apt.purl }),
    );
    // The same scan renders the same document.
    expect(await json(await sbom('alice/app/v1?format=cyclonedx'))).toEqual(bom);
  });

  it('answers SPDX 2.3 with its required document and package fields', async () => {
    const res = await sbom('alice/app/v1?format=spdx&platform=linux/amd64');
    expect(res.headers.get('content-type')).toBe('application/spdx+json; charset=utf-8');
    const doc = await json(res);
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `alice/app@${digest}`,
      creationInfo: { created: '2026-12-01T06:00:00Z', creators: [expect.stringMatching(/^Tool: outpost-/)] },
    });
    expect(doc.documentNamespace).toMatch(new RegExp(`^${main.url}/spdx/alice%2Fapp-[0-9a-f-]{36}$`));
    const packages = doc.packages as Array<Record<string, unknown>>;
    expect(packages).toHaveLength(image.inventory.packages.length + 1);
    for (const p of packages) {
      expect(p).toMatchObject({
        SPDXID: expect.any(String),
        name: expect.any(String),
        downloadLocation: 'NOASSERTION',
      });
    }
    expect(doc.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image',
    });
  });

  it('answers 400 for an unknown format, 404 for an unscanned image, a missing platform or tag', async () => {
    await expectApiError(
      await sbom('alice/app/v1?format=swid'),
      400,
      'INVALID_INPUT',
      /format must be cyclonedx or spdx/,
    );
    await expectApiError(
      await sbom('alice/app/unscanned'),
      404,
      'NOT_FOUND',
      /^alice\/app:unscanned \(linux\/amd64\) has not been scanned yet; start one with POST/,
    );
    await expectApiError(
      await sbom('alice/app/v1?platform=linux/s390x'),
      404,
      'NOT_FOUND',
      /no platform "linux\/s390x"/,
    );
    await expectApiError(await sbom('alice/app/v2'), 404, 'NOT_FOUND', /tag "v2" does not exist/);
  });

  it("picks an index's platform by ?platform=, and asks for one when there are several", async () => {
    await expectApiError(
      await sbom('alice/multi/multi'),
      400,
      'INVALID_INPUT',
      /^alice\/multi:multi has 2 platforms: pass \?platform= one of linux\/amd64, linux\/arm64\/v8$/,
    );
    const bom = await json(await sbom('alice/multi/multi?platform=linux/arm64/v8'));
    expect(bom.metadata).toMatchObject({ component: { version: fixtures.arm64.digest } });
    await expectApiError(await sbom('alice/multi/multi?platform=linux/amd64'), 404, 'NOT_FOUND', /not been scanned/);
  });

  it('answers 404 to callers who may not pull the repository, as if it did not exist', async () => {
    await expectApiError(
      await sbom('alice/secret/v1', bob),
      404,
      'NOT_FOUND',
      /repository "alice\/secret" does not exist/,
    );
    expect((await sbom('alice/secret/v1', alice)).status).toBe(200);
  });
});

describe('POST /api/v0/imagescan/sbom/<ns>/<repo>/<tag>/attach', () => {
  const attach = (query: string, auth: string) =>
    api(main.url, 'POST', `/imagescan/sbom/alice/app/v1/attach${query}`, { auth, body: {} });

  it('refuses callers without the push right (403 NO_PERMISSION), and unscanned images (404)', async () => {
    await expectApiError(await attach('', bob), 403, 'NO_PERMISSION', /needs the push right/);
    await expectApiError(
      await api(main.url, 'POST', '/imagescan/sbom/alice/app/unscanned/attach', { auth: alice, body: {} }),
      404,
      'NOT_FOUND',
      /has not been scanned yet/,
    );
  });

  it('pushes the SBOM as a referrer of the platform manifest, found by the referrers API, once', async () => {
    const res = await attach('?format=spdx', alice);
    expect(res.status).toBe(201);
    const attached = (await res.json()) as { digest: string; subject: string; artifactType: string };
    expect(attached).toMatchObject({ subject: digest, artifactType: 'application/spdx+json', platform: 'linux/amd64' });
    const v2 = (path: string) => fetch(`${main.url}/v2/alice/app/${path}`, { headers: { Authorization: bob } });
    const index = (await (await v2(`referrers/${digest}`)).json()) as { manifests: Array<Record<string, unknown>> };
    expect(index.manifests).toEqual([
      expect.objectContaining({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: attached.digest,
        artifactType: 'application/spdx+json',
      }),
    ]);
    const manifest = (await (await v2(`manifests/${attached.digest}`)).json()) as {
      subject: { digest: string };
      config: { mediaType: string };
      layers: Array<{ digest: string; mediaType: string }>;
    };
    expect(manifest.subject.digest).toBe(digest);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
    expect(manifest.layers[0]!.mediaType).toBe('application/spdx+json');
    const layer = await (await v2(`blobs/${manifest.layers[0]!.digest}`)).json();
    expect(layer).toEqual(await json(await sbom('alice/app/v1?format=spdx')));
    // Attaching again stores the same manifest: still one referrer.
    expect(((await (await attach('?format=spdx', alice)).json()) as { digest: string }).digest).toBe(attached.digest);
    expect(((await (await v2(`referrers/${digest}`)).json()) as { manifests: unknown[] }).manifests).toHaveLength(1);
  });
});
