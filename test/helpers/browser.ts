/**
 * Headless Debian Chromium driven by playwright-core, with a fresh profile, for the web page
 * tests. The flags keep Chromium off the network (this machine has none beyond loopback).
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTempDir, type TempDir } from './temp-dir.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: BrowserContext;
  page: Page;
  profile: TempDir;
}

/** Starts Chromium; console errors and failed requests of its page are appended to `problems`. */
export async function launchTestBrowser(problems: string[]): Promise<TestBrowser> {
  const profile = await createTempDir('outpost-chromium-');
  const browser = await chromium.launchPersistentContext(profile.path, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1366, height: 860 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  return { browser, page, profile };
}
