/**
 * Every page on a wide and a narrow screen, in Debian's Chromium (playwright-core): main with
 * authentication on, an image pushed by the admin and a scanned one by alice (findings on its tag
 * page), an organization with a team, a content cache of two nodes with a day of heartbeats (its
 * dashboard's figures and chart), and a finished job. The admin, then alice (a plain user), then
 * an anonymous visitor open each page they may see at 1280 and 390 px wide. Each page must not
 * scroll sideways, its navigation must be on screen at 390 px, and axe-core (injected into the
 * page) must find no violation of impact "serious" or "critical".
 *
 * Screenshots, named <page>-<width>.png, are written under the test's temp dir and copied to
 * test-results/screenshots/ (git-ignored) to be looked at. Run `npx vitest run --project e2e
 * test/e2e/web-pages-a11y.test.ts` (the e2e project builds dist first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { launchTestBrowser } from '../helpers/browser.js';
import { ADMIN, PASSWORD, api, apiOk, createOrg, createUser, pushImageAs } from '../helpers/api-client.js';
import { closedPortUrl } from '../helpers/health-server.js';
import { debianFindings, debianImage, NO_SCAN_WORKER, pushDebianImage, storeScan } from '../helpers/scanned-image.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const WIDTHS = [1280, 390] as const;
const AXE_SOURCE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let main: TestMain;
let profile: TempDir;
let shots: TempDir;
let browser: BrowserContext;
let page: Page;
let axeSource: string;
let manifestDigest: string;
let jobId: string;
/** Main's clock runs this far behind the real one while the cache's day of heartbeats is sent. */
let clockOffsetMs = 0;
const HOUR_MS = 3_600_000;
/** Console errors and failed requests (a CSP violation shows up here). */
const problems: string[] = [];

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: NO_SCAN_WORKER, now: () => Date.now() + clockOffsetMs });
  await sendADayOfHeartbeats();
  manifestDigest = (await pushImageAs(main.url, ADMIN, 'admin/hello-web', '1.0')).digest;
  const alice = await createUser(main.url, 'alice');
  // alice's tag has a finished scan (two Debian advisories), so her tag page shows its findings.
  const image = await debianImage();
  const scanned = await pushDebianImage(main.url, alice, 'alice/tools', 'v2', image);
  await storeScan(main.service.scanStore, scanned, {
    inventory: image.inventory,
    vulnerabilities: debianFindings(image.inventory),
    dbGeneration: 'test-1',
    scannedAt: new Date().toISOString(),
  });
  await createOrg(main.url, 'acme');
  await apiOk(main.url, 'POST', '/accounts/acme/teams', 201, {
    auth: ADMIN,
    body: { name: 'builders', description: 'Pushes the nightly images' },
  });
  ({ id: jobId } = await apiOk<{ id: string }>(main.url, 'POST', '/jobs', 202, {
    auth: ADMIN,
    body: { kind: 'purge-uploads' },
  }));
  axeSource = await readFile(AXE_SOURCE_PATH, 'utf8');
  shots = await createTempDir('outpost-screenshots-');
  await mkdir(SCREENSHOTS, { recursive: true });
  ({ browser, page, profile } = await launchTestBrowser(problems));
});

afterAll(async () => {
  await browser?.close();
  await profile?.remove();
  await shots?.remove();
  await main?.stop();
});

/**
 * The cache `eu` with two nodes that beat once an hour over the last day (main's clock set back,
 * then forward): the node eu-1 warms up (its hit ratio grows), eu-2 restarts halfway (its
 * counters start again from 0). Main's clock is the real one again when this returns.
 */
async function sendADayOfHeartbeats(): Promise<void> {
  clockOffsetMs = -24 * HOUR_MS;
  await apiOk(main.url, 'POST', '/content_caches', 201, {
    auth: ADMIN,
    body: { name: 'eu', host: await closedPortUrl(), region: 'eu-west-1', networks: ['10.1.0.0/16'] },
  });
  const { token } = await main.service.caches.joinTokens.create(2 * 24 * HOUR_MS);
  for (const nodeId of ['eu-1', 'eu-2'])
    await apiOk(main.url, 'POST', '/content_caches/join', 200, {
      body: { token, name: 'eu', nodeId, host: await closedPortUrl() },
    });
  const MB = 1_000_000;
  const totals = new Map<string, { hits: number; misses: number }>();
  for (let hour = 0; hour <= 24; hour++) {
    clockOffsetMs = (hour - 24) * HOUR_MS - 60_000;
    for (const nodeId of ['eu-1', 'eu-2']) {
      // Cumulative since the node started: eu-2 restarts at hour 12; misses fall as the cache warms.
      const was = nodeId === 'eu-2' && hour === 12 ? undefined : totals.get(nodeId);
      const now = { hits: (was?.hits ?? 0) + 10 + 4 * hour, misses: (was?.misses ?? 0) + Math.max(3, 40 - 2 * hour) };
      totals.set(nodeId, now);
      const details = {
        store: { bytes: Math.min(now.misses * 6 * MB, 3_000 * MB), blobs: now.misses, maxBytes: 4_000 * MB },
        requests: now,
        traffic: {
          servedBytes: (now.hits + now.misses) * 6 * MB,
          upstreamBytes: now.misses * 6 * MB,
          evictions: Math.max(0, now.misses - 500),
        },
      };
      const res = await api(main.url, 'POST', '/content_caches/heartbeat', {
        body: { token, name: 'eu', nodeId, ok: true, details },
      });
      expect(res.status, await res.text()).toBe(204);
    }
  }
  clockOffsetMs = 0;
}

async function signIn(name: string, password: string): Promise<void> {
  await page.goto(`${main.url}/sign-in?next=${encodeURIComponent('/profile')}`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${main.url}/profile`);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe-core in the page. The page's Content-Security-Policy forbids inline scripts, so the
 * source is evaluated through the DevTools protocol (page.evaluate) rather than page.addScriptTag,
 * which would need the policy bypassed for the whole browser and hide real CSP violations.
 */
async function seriousViolations(): Promise<string[]> {
  if (!(await page.evaluate<boolean>('"axe" in window'))) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>('axe.run().then((results) => results.violations)');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Page widths, and the first element reaching past the right edge outside any scroll container
 * (what to fix). In-page code is a string: the tests are type-checked without the DOM library.
 */
const MEASURE_WIDTH = `(() => {
  const { scrollWidth, clientWidth } = document.documentElement;
  const clipped = (e) => e.parentElement?.closest('.table-scroll, pre') != null;
  const past = [...document.body.querySelectorAll('*')].find(
    (e) => e.getBoundingClientRect().right > clientWidth && !clipped(e),
  );
  const widest = past ? past.tagName.toLowerCase() + '.' + [...past.classList].join('.') : 'none';
  return { scrollWidth, clientWidth, widest };
})()`;

/** How the focused element shows focus: an outline or a ring (box-shadow), else nothing. */
const FOCUS_STYLE = `(() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const shown = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  return { what: e.tagName.toLowerCase() + ' ' + (e.textContent || e.getAttribute('name') || '').trim(), shown };
})()`;

/** Tabs through (up to) the first `count` focusable elements of `path`; returns those showing no focus. */
async function focusWithoutIndicator(path: string, count: number): Promise<string[]> {
  await page.goto(`${main.url}${path}`);
  const missing: string[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    const { what, shown } = await page.evaluate<{ what: string; shown: boolean }>(FOCUS_STYLE);
    if (what.startsWith('body ')) break; // past the last focusable element
    if (!shown) missing.push(`${path}: ${what}`);
  }
  return missing;
}

/** Checks `path` at both widths and saves `<name>-<width>.png`; returns what is wrong, if anything. */
async function checkPage(name: string, path: string, navLinks: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 860 });
    const res = await page.goto(`${main.url}${path}`);
    expect(res?.status(), `${path} answers`).toBe(200);
    expect(new URL(page.url()).pathname, `${path} is not redirected`).toBe(path.split('?')[0]);
    const { scrollWidth, clientWidth, widest } = await page.evaluate<{
      scrollWidth: number;
      clientWidth: number;
      widest: string;
    }>(MEASURE_WIDTH);
    if (scrollWidth > clientWidth) {
      found.push(`${name} at ${width}px scrolls sideways (${scrollWidth} > ${clientWidth}; ${widest})`);
    }
    for (const label of navLinks) {
      const link = page.getByRole('navigation').getByRole('link', { name: label, exact: true }).first();
      const box = (await link.isVisible()) ? await link.boundingBox() : null;
      if (!box || box.x < 0 || box.x + box.width > width) found.push(`${name} at ${width}px: "${label}" is off screen`);
    }
    for (const violation of await seriousViolations()) found.push(`${name} at ${width}px: ${violation}`);
    const file = `${name}-${width}.png`;
    await page.screenshot({ path: join(shots.path, file), fullPage: true });
    await copyFile(join(shots.path, file), join(SCREENSHOTS, file));
  }
  return found;
}

const ADMIN_NAV = ['Repositories', 'Profile', 'Administration'];
const ADMIN_SIDE_NAV = [
  ...ADMIN_NAV,
  'Users',
  'Organizations',
  'Content caches',
  'Registry settings',
  'Jobs',
  'Audit log',
];

describe('every page on wide and narrow screens, with axe-core', () => {
  it('the admin: repositories, a repository, a tag, pruning, profile and every admin page', async () => {
    await signIn('admin', TEST_ADMIN_PASSWORD);
    const pages: Array<[string, string, string[]]> = [
      ['repositories', '/repositories', ADMIN_NAV],
      ['repository', '/repositories/admin/hello-web', ADMIN_NAV],
      ['tag', '/repositories/admin/hello-web/-/tags/1.0', ADMIN_NAV],
      ['manifest', `/repositories/admin/hello-web/-/manifests/${manifestDigest}`, ADMIN_NAV],
      ['pruning', '/repositories/admin/hello-web/pruning', ADMIN_NAV],
      ['profile-admin', '/profile', ADMIN_NAV],
      ['admin-users', '/admin/users', ADMIN_SIDE_NAV],
      ['admin-organizations', '/admin/organizations', ADMIN_SIDE_NAV],
      ['admin-organization', '/admin/organizations/acme', ADMIN_SIDE_NAV],
      ['admin-team', '/admin/organizations/acme/teams/builders', ADMIN_SIDE_NAV],
      ['admin-caches', '/admin/caches', ADMIN_SIDE_NAV],
      ['admin-cache', '/admin/caches/eu', ADMIN_SIDE_NAV],
      ['admin-settings', '/admin/settings', ADMIN_SIDE_NAV],
      ['admin-jobs', '/admin/jobs', ADMIN_SIDE_NAV],
      ['admin-events', '/admin/events', ADMIN_SIDE_NAV],
      ['admin-job', `/admin/jobs/${jobId}`, ADMIN_SIDE_NAV],
    ];
    const found: string[] = [];
    for (const [name, path, nav] of pages) found.push(...(await checkPage(name, path, nav)));
    expect(found).toEqual([]);
    // Keyboard users see where they are: header, side navigation, table links, form fields.
    expect(await focusWithoutIndicator('/admin/users', 14)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a plain user: the repository list, their repository and tag, and their profile', async () => {
    await browser.clearCookies();
    await signIn('alice', PASSWORD);
    const nav = ['Repositories', 'Profile'];
    const found: string[] = [];
    found.push(...(await checkPage('repositories-user', '/repositories', nav)));
    found.push(...(await checkPage('repository-user', '/repositories/alice/tools', nav)));
    found.push(...(await checkPage('tag-user', '/repositories/alice/tools/-/tags/v2', nav)));
    found.push(...(await checkPage('profile-user', '/profile', nav)));
    expect(found).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('an anonymous visitor: the sign-in page and the repository list', async () => {
    await browser.clearCookies();
    const found: string[] = [];
    found.push(...(await checkPage('sign-in', '/sign-in', ['Repositories'])));
    found.push(...(await checkPage('repositories-anonymous', '/repositories', ['Repositories'])));
    expect(found).toEqual([]);
    expect(await focusWithoutIndicator('/sign-in', 6)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
