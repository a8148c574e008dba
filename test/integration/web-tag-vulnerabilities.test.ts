/**
 * The tag page's "Vulnerabilities" card (issue 12), read as HTML: each state of a scan told as it is (not
 * scanned, queued, failed with its message, scanned before any vulnerability database), the counts, findings
 * and packages of a scanned image of real dpkg content, SBOM links, why pulls are refused under the
 * repository's policy, and the "Scan now" button only for those who may push.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { apiOk, createUser, PASSWORD, pushImageAs } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import {
  NO_SCAN_WORKER,
  debianFindings,
  debianImage,
  pushDebianImage,
  storeScan,
  type DebianImage,
} from '../helpers/scanned-image.js';
import type { Finding } from '../../main/vulndb/types.js';

let main: TestMain;
let aliceAuth: string;
let alice: WebClient;
let bob: WebClient;
let image: DebianImage;
let findings: Finding[];
let scanned: string;
let fresh: string;

const PAGE = '/repositories/alice/app/-/tags';

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: NO_SCAN_WORKER });
  aliceAuth = await createUser(main.url, 'alice');
  await createUser(main.url, 'bob');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, {
    auth: aliceAuth,
    body: { name: 'app', visibility: 'public' },
  });
  image = await debianImage();
  findings = debianFindings(image.inventory);
  scanned = await pushDebianImage(main.url, aliceAuth, 'alice/app', 'scanned', image);
  const scans = main.service.scanStore;
  await storeScan(scans, scanned, {
    inventory: image.inventory,
    vulnerabilities: findings,
    dbGeneration: 'osv-2026-11-30',
    scannedAt: '2026-12-01T06:00:00.000Z',
  });
  const early = (await pushImageAs(main.url, aliceAuth, 'alice/app', 'early')).digest;
  await storeScan(scans, early, {
    inventory: { packages: [], skipped: [], layers: [] },
    vulnerabilities: [],
    dbGeneration: null,
    scannedAt: '2026-12-01T06:00:00.000Z',
  });
  const broken = (await pushImageAs(main.url, aliceAuth, 'alice/app', 'broken')).digest;
  await scans.enqueue({ manifestDigest: broken, reason: 'push', layers: [], at: Date.now() });
  await scans.claim('test-worker', Date.now());
  const error = 'layer sha256:0123456789ab is not gzip, zstd or tar';
  expect(await scans.complete(broken, 'test-worker', { state: 'failed', error }, Date.now())).toBe(true);
  const queued = (await pushImageAs(main.url, aliceAuth, 'alice/app', 'queued')).digest;
  await scans.enqueue({ manifestDigest: queued, reason: 'push', layers: [], at: Date.parse('2026-12-01T06:05:00Z') });
  fresh = (await pushImageAs(main.url, aliceAuth, 'alice/app', 'fresh')).digest;
  alice = new WebClient(main.url);
  await alice.signIn('alice', PASSWORD);
  bob = new WebClient(main.url);
  await bob.signIn('bob', PASSWORD);
});
afterAll(async () => {
  await main?.stop();
});

const card = async (tag: string, client = alice) => {
  const res = await client.get(`${PAGE}/${tag}`);
  expect(res.status).toBe(200);
  const start = res.html.indexOf('aria-labelledby="vulnerabilities-title"');
  expect(start, 'the Vulnerabilities card').toBeGreaterThan(0);
  const html = res.html.slice(start, res.html.indexOf('</section>', start));
  return { html, text: textOf(`<x ${html}`) };
};

describe('the Vulnerabilities card of a tag page', () => {
  it('says when an image was never scanned, is queued, or failed (with the message)', async () => {
    expect((await card('fresh')).text).toContain('Vulnerabilities linux/amd64 Not scanned yet.');
    expect((await card('queued')).text).toContain('A scan is queued (since 2026-12-01T06:05:00.000Z).');
    expect((await card('broken')).text).toContain(
      'The last scan failed: layer sha256:0123456789ab is not gzip, zstd or tar.',
    );
    for (const tag of ['fresh', 'queued', 'broken']) expect((await card(tag)).html).not.toContain('SBOM');
  });

  it('says that no vulnerability database had been imported when the image was scanned', async () => {
    const { text } = await card('early');
    expect(text).toContain('No vulnerability database had been imported when this image was scanned');
    expect(text).not.toContain('No known vulnerabilities');
  });

  it('shows counts, findings worst first with aliases, packages and SBOM links', async () => {
    const { html, text } = await card('scanned');
    const [apt, tar] = [findings[0]!.package, findings[1]!.package];
    expect(text).toContain('Scanned 2026-12-01T06:00:00.000Z, vulnerability database osv-2026-11-30.');
    expect(text).toContain('critical 0 high 1 medium 0 low 1 unknown 0');
    expect(text).toContain(`DEBIAN-CVE-2005-2541 CVE-2005-2541 high 10.0 tar ${tar.version} no fix published`);
    expect(text.indexOf('DEBIAN-CVE-2005-2541')).toBeLessThan(text.indexOf('DEBIAN-CVE-2011-3374'));
    expect(text).toContain(`DEBIAN-CVE-2011-3374 CVE-2011-3374 low 3.7 apt ${apt.version} no fix published`);
    expect(text).toContain(`${image.inventory.packages.length} installed packages on Debian GNU/Linux 12 (bookworm)`);
    expect(html).toContain('<details');
    const sbom = '/api/v0/imagescan/sbom/alice/app/scanned?format=';
    expect(html).toContain(`href="${sbom}cyclonedx&amp;platform=linux%2Famd64"`);
    expect(html).toContain(`href="${sbom}spdx&amp;platform=linux%2Famd64"`);
    expect(text).not.toContain('Pulls of this image are refused');
  });

  it('links the SBOM of a nested repository name with its slashes encoded, and the link answers', async () => {
    const nested = await pushDebianImage(main.url, aliceAuth, 'alice/tools/cli', 'v1', image);
    expect(nested).toBe(scanned);
    const res = await alice.get('/repositories/alice/tools/cli/-/tags/v1');
    const href = '/api/v0/imagescan/sbom/alice/tools%2Fcli/v1?format=spdx&amp;platform=linux%2Famd64';
    expect(res.html).toContain(`href="${href}"`);
    const sbom = await alice.get(href.replace('&amp;', '&'));
    expect(sbom.status).toBe(200);
    expect(JSON.parse(sbom.html)).toMatchObject({ name: `alice/tools/cli@${scanned}` });
  });

  it('says why pulls are refused when the repository blocks the image', async () => {
    await apiOk(main.url, 'PATCH', '/repositories/alice/app', 200, {
      auth: aliceAuth,
      body: { blockPullsAtSeverity: 'high' },
    });
    expect((await card('scanned', bob)).text).toContain(
      'Pulls of this image are refused: this repository blocks images with high or worse vulnerabilities, and ' +
        `DEBIAN-CVE-2005-2541 (CVE-2005-2541) in tar ${findings[1]!.package.version} is high.`,
    );
    await apiOk(main.url, 'PATCH', '/repositories/alice/app', 200, {
      auth: aliceAuth,
      body: { blockPullsAtSeverity: 'critical' },
    });
    expect((await card('scanned', bob)).text).not.toContain('Pulls of this image are refused');
  });

  it('offers "Scan now" to those who may push, not to readers or anonymous visitors', async () => {
    expect((await card('fresh')).html).toContain(`action="${PAGE}/fresh/scan"`);
    expect((await card('fresh', bob)).html).not.toContain('Scan now');
    expect((await card('fresh', new WebClient(main.url))).html).not.toContain('Scan now');
  });

  it('queues a scan on "Scan now" and then says it is queued; a reader posting it is refused', async () => {
    const refused = await bob.submit(`${PAGE}/fresh`, `${PAGE}/fresh/scan`, {});
    expect(refused.status).toBe(403);
    expect(await main.service.scanStore.get(fresh)).toBeUndefined();
    const res = await alice.submit(`${PAGE}/fresh`, `${PAGE}/fresh/scan`, {});
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${PAGE}/fresh`);
    expect(await main.service.scanStore.get(fresh)).toMatchObject({ state: 'queued', reason: 'request' });
    const page = textOf((await alice.get(`${PAGE}/fresh`)).html);
    expect(page).toContain('Scan queued (1 platform).');
    expect(page).toContain('A scan is queued');
  });
});

describe("the repository page's settings form", () => {
  it('shows the pull policy and changes it; a value that is no severity is refused', async () => {
    const page = await alice.get('/repositories/alice/app');
    expect(page.html).toContain('name="blockPullsAtSeverity"');
    const settings = { visibility: 'public', blockPullsAtSeverity: 'medium' };
    const saved = await alice.submit('/repositories/alice/app', '/repositories/alice/app/settings', settings);
    expect(saved.status).toBe(303);
    expect(await apiOk(main.url, 'GET', '/repositories/alice/app', 200, { auth: aliceAuth })).toMatchObject({
      blockPullsAtSeverity: 'medium',
    });
    expect((await alice.get('/repositories/alice/app')).html).toMatch(/<option value="medium" selected/);
    const bad = { visibility: 'public', blockPullsAtSeverity: 'severe' };
    expect((await alice.submit('/repositories/alice/app', '/repositories/alice/app/settings', bad)).status).toBe(400);
  });
});
