/**
 * The web pages in a real browser: Debian's Chromium, driven by playwright-core, against main
 * on 127.0.0.1 with authentication on. An image is pushed first (HTTP, Basic credentials); then
 * the admin signs in, opens the repository, sees its tags and pull commands, opens a tag page,
 * and signs out.
 * Screenshots land in test-artifacts/ (git-ignored). Run `npm run build` first, then
 * `npx vitest run --project e2e test/e2e/web-browser.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { launchTestBrowser } from '../helpers/browser.js';
import { ADMIN, pushImageAs, putManifestAs } from '../helpers/api-client.js';
import type { Blob } from '../helpers/oci-fixtures.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let main: TestMain;
let profile: TempDir;
let browser: BrowserContext;
let page: Page;
let image: Blob;
/** Console errors and failed requests (a CSP violation shows up here). */
const problems: string[] = [];

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  image = await pushImageAs(main.url, ADMIN, 'admin/hello-web', '1.0');
  expect((await putManifestAs(main.url, ADMIN, 'admin/hello-web', 'latest', image)).status).toBe(201);
  await mkdir(ARTIFACTS, { recursive: true });
  ({ browser, page, profile } = await launchTestBrowser(problems));
});

afterAll(async () => {
  await browser?.close();
  await profile?.remove();
  await main?.stop();
});

describe('the web pages in Chromium', () => {
  it('signs in, opens the repository, sees its tags, and signs out', async () => {
    const host = new URL(main.url).host;

    // Anonymous: the private repository is not listed; the header offers to sign in.
    await page.goto(`${main.url}/`);
    expect(new URL(page.url()).pathname).toBe('/repositories');
    expect(await page.getByRole('link', { name: 'hello-web' }).count()).toBe(0);
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${main.url}/repositories`);
    await expect.poll(() => page.getByRole('banner').getByRole('link', { name: 'admin', exact: true }).count()).toBe(1);

    await page.getByRole('link', { name: /hello-web/ }).click();
    await page.waitForURL(`${main.url}/repositories/admin/hello-web`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('admin/hello-web');
    const tagRows = page.getByRole('region', { name: 'Tags' }).locator('tbody tr');
    expect(await tagRows.count()).toBe(2);
    expect(await tagRows.nth(0).textContent()).toContain('1.0');
    expect(await tagRows.nth(1).textContent()).toContain('latest');
    expect(await tagRows.nth(0).locator('.digest').getAttribute('title')).toBe(image.digest);
    expect(await tagRows.nth(0).locator('code[title]').last().textContent()).toBe(
      `docker pull ${host}/admin/hello-web:1.0`,
    );
    // The script ran (under the Content-Security-Policy): the Copy buttons are shown.
    expect(await page.getByRole('button', { name: 'Copy the pull command for latest' }).isVisible()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}web-browser-repository.png`, fullPage: true });

    // The tag page: the pull-by-digest command with its Copy button, the layers with their sizes.
    await tagRows.nth(0).getByRole('link', { name: '1.0' }).click();
    await page.waitForURL(`${main.url}/repositories/admin/hello-web/-/tags/1.0`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('admin/hello-web:1.0');
    expect(await page.getByRole('button', { name: 'Copy the pull command' }).isVisible()).toBe(true);
    expect(await page.getByRole('region', { name: 'Layers' }).locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: `${ARTIFACTS}web-browser-tag.png`, fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${main.url}/sign-in`);
    expect(await page.getByRole('status').textContent()).toContain('You have been signed out.');
    await page.screenshot({ path: `${ARTIFACTS}web-browser-signed-out.png`, fullPage: true });
    await page.goto(`${main.url}/profile`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    expect(problems).toEqual([]);
  });
});
