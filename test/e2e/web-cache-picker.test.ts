/**
 * The content cache picker in a real browser (Debian's Chromium driven by playwright-core):
 * main with authentication on has a cache `eu` (a tiny server answering /health, so main's
 * probe sees it up) and `asia` pulling through it (nothing listens, so it reads down). alice
 * signs in, picks `eu` on her profile page and saves; the settings API then shows it, and her
 * blob pulls are redirected to eu. The admin then sees both caches on /admin/caches.
 * Screenshots land in test-artifacts/ (git-ignored). Run `npm run build` first, then
 * `npx vitest run --project e2e test/e2e/web-cache-picker.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { launchTestBrowser } from '../helpers/browser.js';
import { ADMIN, PASSWORD, apiOk, createUser } from '../helpers/api-client.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';
import { expectRedirect, getBlob, publishImage } from '../helpers/redirect.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let main: TestMain;
let edge: HealthServer;
let profile: TempDir;
let browser: BrowserContext;
let page: Page;
/** Console errors and failed requests (a CSP violation shows up here). */
const problems: string[] = [];

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  edge = await startHealthServer();
  await apiOk(main.url, 'POST', '/content_caches', 201, {
    auth: ADMIN,
    body: { name: 'eu', host: edge.url, region: 'eu-west-1', networks: ['10.1.0.0/16'] },
  });
  await apiOk(main.url, 'POST', '/content_caches', 201, {
    auth: ADMIN,
    body: { name: 'asia', host: await closedPortUrl(), region: 'ap-southeast-1', upstream: 'eu' },
  });
  // Three failed probes in a row mark asia down; eu answers and stays up.
  for (let i = 0; i < 3; i++) await main.service.caches.probe.probeAll();
  await createUser(main.url, 'alice');

  await mkdir(ARTIFACTS, { recursive: true });
  ({ browser, page, profile } = await launchTestBrowser(problems));
});

afterAll(async () => {
  await browser?.close();
  await profile?.remove();
  await main?.stop();
  await edge?.close();
});

async function signIn(name: string, password: string, next: string): Promise<void> {
  await page.goto(`${main.url}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${main.url}${next}`);
}

describe('the content cache picker in Chromium', () => {
  it('alice picks eu on her profile page, saves, and the settings API shows it', async () => {
    await signIn('alice', PASSWORD, '/profile');
    const picker = page.getByRole('region', { name: 'Content cache' });
    const none = picker.getByRole('radio', { name: /^None \(pull from main\)/ });
    const eu = picker.getByRole('radio', { name: /^eu up/ });
    const asia = picker.getByRole('radio', { name: /^asia down/ });
    expect(await none.isChecked()).toBe(true);
    expect(await eu.isChecked()).toBe(false);
    expect(await picker.locator('label[for="cache-eu"]').textContent()).toContain('Region: eu-west-1');
    expect(await asia.count()).toBe(1);

    await eu.check();
    await picker.getByRole('button', { name: 'Save cache' }).click();
    await page.waitForURL(`${main.url}/profile`);
    expect(await page.getByRole('status').textContent()).toContain('Saved. Your pulls now fetch layers from eu.');
    expect(await eu.isChecked()).toBe(true);
    expect(await none.isChecked()).toBe(false);
    await page.screenshot({ path: `${ARTIFACTS}web-cache-picker-profile.png`, fullPage: true });

    const settings = await fetch(`${main.url}/api/v0/accounts/alice/settings`, {
      headers: { Authorization: basicAuth('alice', PASSWORD) },
    });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ defaultContentCache: 'eu' });

    // And the choice is what main acts on: alice's blob pulls are redirected to eu.
    const image = await publishImage(main);
    const layer = image.layers[0]!;
    await expectRedirect(await getBlob(main, layer.digest, basicAuth('alice', PASSWORD)), edge.url, layer.digest);
  });

  it('the admin sees both caches on /admin/caches with chain, health and redirects', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${main.url}/sign-in`);
    await signIn('admin', TEST_ADMIN_PASSWORD, '/admin/caches');
    const rows = page.getByRole('region', { name: 'Content caches' }).locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const euRow = rows.filter({ hasText: 'eu-west-1' });
    expect(await euRow.textContent()).toMatch(/eu → main/);
    expect(await euRow.locator('.badge').textContent()).toBe('up');
    expect(await euRow.locator('td.num').textContent()).toBe('1');
    const asiaRow = rows.filter({ hasText: 'ap-southeast-1' });
    expect(await asiaRow.textContent()).toMatch(/asia → eu → main/);
    expect(await asiaRow.locator('.badge').textContent()).toBe('down');
    expect(await asiaRow.locator('.health-error').textContent()).toMatch(/ECONNREFUSED/);
    await page.screenshot({ path: `${ARTIFACTS}web-cache-picker-admin-caches.png`, fullPage: true });

    await page.getByRole('link', { name: 'asia', exact: true }).click();
    await page.waitForURL(`${main.url}/admin/caches/asia`);
    expect(await page.getByLabel('Upstream').inputValue()).toBe('eu');
    await page.screenshot({ path: `${ARTIFACTS}web-cache-picker-admin-cache.png`, fullPage: true });

    expect(problems).toEqual([]);
  });
});
