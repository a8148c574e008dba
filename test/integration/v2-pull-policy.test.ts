// A repository's pull policy (issue 12): `blockPullsAtSeverity`, set through the management API by the
// repository's administrators, refuses manifest pulls of images whose last scan found a vulnerability at or
// above it, with DENIED naming the worst finding; unscanned images and other severities are served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createUser, expectApiError, pushImageAs } from '../helpers/api-client.js';
import { expectOciError } from '../helpers/registry-http.js';
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
let scanned: string;
let tarVersion: string;

const pull = (method: 'GET' | 'HEAD', reference: string, auth = alice) =>
  fetch(`${main.url}/v2/alice/app/manifests/${reference}`, {
    method,
    headers: { Authorization: auth, Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
const setPolicy = (severity: string, auth = alice) =>
  apiOk(main.url, 'PATCH', '/repositories/alice/app', 200, { auth, body: { blockPullsAtSeverity: severity } });

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: NO_SCAN_WORKER });
  alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, {
    auth: alice,
    body: { name: 'app', visibility: 'public' },
  });
  image = await debianImage();
  scanned = await pushDebianImage(main.url, alice, 'alice/app', 'scanned', image);
  const vulnerabilities = debianFindings(image.inventory);
  tarVersion = vulnerabilities[1]!.package.version;
  await storeScan(main.service.scanStore, scanned, {
    inventory: image.inventory,
    vulnerabilities,
    dbGeneration: 'test-1',
    scannedAt: new Date().toISOString(),
  });
});
afterAll(async () => {
  await main?.stop();
});

describe('PATCH /api/v0/repositories/<ns>/<repo> {blockPullsAtSeverity}', () => {
  it('is "none" by default and set by the repository administrator', async () => {
    expect(await apiOk(main.url, 'GET', '/repositories/alice/app', 200, { auth: alice })).toMatchObject({
      blockPullsAtSeverity: 'none',
    });
    expect(await setPolicy('critical')).toMatchObject({ blockPullsAtSeverity: 'critical' });
    expect(await setPolicy('none', ADMIN)).toMatchObject({ blockPullsAtSeverity: 'none' });
  });

  it('refuses readers (403 NO_PERMISSION) and values that are no severity (400 INVALID_INPUT)', async () => {
    await expectApiError(
      await api(main.url, 'PATCH', '/repositories/alice/app', { auth: bob, body: { blockPullsAtSeverity: 'none' } }),
      403,
      'NO_PERMISSION',
      /only administrators of "alice\/app"/,
    );
    await expectApiError(
      await api(main.url, 'PATCH', '/repositories/alice/app', {
        auth: alice,
        body: { blockPullsAtSeverity: 'severe' },
      }),
      400,
      'INVALID_INPUT',
      /blockPullsAtSeverity/,
    );
    expect(await apiOk(main.url, 'GET', '/repositories/alice/app', 200, { auth: bob })).toMatchObject({
      blockPullsAtSeverity: 'none',
    });
  });
});

describe('GET and HEAD /v2/<name>/manifests/<reference> under a pull policy', () => {
  it('refuses 403 DENIED by tag and by digest, naming the worst finding, at or below its severity', async () => {
    await setPolicy('high');
    for (const reference of ['scanned', scanned]) {
      const error = await expectOciError(await pull('GET', reference), 403, 'DENIED');
      expect(error.message).toBe(
        'pulls of images with high or worse vulnerabilities are refused in alice/app: DEBIAN-CVE-2005-2541 ' +
          `(CVE-2005-2541) in tar ${tarVersion} is high (1 high in all)`,
      );
      expect(error.detail).toMatchObject({ digest: scanned, policy: 'high', finding: { id: 'DEBIAN-CVE-2005-2541' } });
      const head = await pull('HEAD', reference);
      expect(head.status).toBe(403);
    }
    // Readers are refused alike: the policy is about the image, not who pulls it.
    await expectOciError(await pull('GET', 'scanned', bob), 403, 'DENIED');
  });

  it('serves the image when its worst finding is below the policy, or with no policy', async () => {
    await setPolicy('critical');
    const res = await pull('GET', 'scanned');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(scanned);
    await setPolicy('none');
    expect((await pull('HEAD', scanned)).status).toBe(200);
  });

  it('serves images never scanned, whatever the policy', async () => {
    await setPolicy('low');
    await expectOciError(await pull('GET', 'scanned'), 403, 'DENIED');
    const unscanned = await pushImageAs(main.url, alice, 'alice/app', 'unscanned');
    expect((await pull('GET', 'unscanned')).status).toBe(200);
    expect((await pull('HEAD', unscanned.digest)).status).toBe(200);
  });
});
