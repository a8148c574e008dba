/**
 * The profile's content cache picker (DESIGN 3.5): every registered cache with its region and
 * the health main's probe sees, plus "None"; the choice is saved through account management,
 * as `POST /api/v0/accounts/<user>/settings` is, so a name that is not registered is refused.
 * Probes run only when a test asks (the interval is an hour).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createOrg, createUser } from '../helpers/api-client.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';
import { textOf, WebClient, type WebPage } from '../helpers/web-client.js';

let main: TestMain;
let edge: HealthServer;

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  edge = await startHealthServer();
  const { caches, probe } = main.service.caches;
  await caches.create({ name: 'eu', host: edge.url, region: 'eu-west-1' });
  await caches.create({ name: 'asia', host: await closedPortUrl(), region: 'ap-southeast-1', upstream: 'eu' });
  // Three failures in a row mark a cache down; successes keep one up.
  for (let i = 0; i < 3; i++) await probe.probeAll();
  await caches.create({ name: 'us', host: 'http://127.0.0.1:9' });
  for (const name of ['alice', 'bob', 'carol', 'dave']) await createUser(main.url, name);
  await createOrg(main.url, 'acme');
  await fetch(`${main.url}/api/v0/accounts/acme/members/bob`, {
    method: 'PUT',
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    body: '{}',
  });
  await main.service.accounts.updateSettings('acme', { defaultContentCache: 'eu' });
});
afterAll(async () => {
  await main?.stop();
  await edge?.close();
});

async function signedIn(name: string): Promise<WebClient> {
  const web = new WebClient(main.url);
  await web.signIn(name, PASSWORD);
  return web;
}

/** The value of the checked radio button of the picker (undefined when none is). */
function checkedCache(html: string): string | undefined {
  const radios = html.match(/<input type="radio"[^>]*name="defaultContentCache"[^>]*>/g) ?? [];
  const checked = radios.filter((radio) => /\schecked(=|\s|>|\/)/.test(radio));
  expect(checked.length).toBeLessThanOrEqual(1);
  return checked[0] && /value="([^"]*)"/.exec(checked[0])![1];
}

async function settingOf(user: string): Promise<string> {
  const res = await fetch(`${main.url}/api/v0/accounts/${user}/settings`, {
    headers: { Authorization: basicAuth(user, PASSWORD) },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { defaultContentCache: string }).defaultContentCache;
}

const choose = (web: WebClient, cache: string): Promise<WebPage> =>
  web.submit('/profile', '/profile/content-cache', { defaultContentCache: cache });

describe('GET /profile: the cache picker', () => {
  it('lists None and every cache with its region and health, None checked for a user who picked nothing', async () => {
    const page = await (await signedIn('alice')).get('/profile');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toContain('None (pull from main) Pull every layer straight from the main registry.');
    expect(text).toContain('eu up Region: eu-west-1');
    expect(text).toMatch(/asia down Region: ap-southeast-1 · Down: your pulls go up its chain, or to main/);
    expect(text).toContain('us not checked yet');
    expect(text).not.toContain('No caches configured yet');
    expect(checkedCache(page.html)).toBe('');
    expect(page.html).toContain('action="/profile/content-cache"');
    expect(page.html).toContain('<label for="cache-eu">');
  });

  it("tells a member who picked nothing which organization's default serves them", async () => {
    const text = textOf((await (await signedIn('bob')).get('/profile')).html);
    expect(text).toContain(
      "None (use your organization's default) Your organization acme has eu as its default, so your " +
        'pulls fetch layers from eu.',
    );
    expect(text).toContain('eu up Region: eu-west-1 · Default of acme');
  });
});

describe('POST /profile/content-cache', () => {
  it('saves the cache (as the settings API shows), shows it checked, and goes back to none', async () => {
    const web = await signedIn('alice');
    const saved = await choose(web, 'eu');
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/profile');
    const page = await web.get('/profile');
    expect(textOf(page.html)).toContain('Saved. Your pulls now fetch layers from eu.');
    expect(checkedCache(page.html)).toBe('eu');
    expect(await settingOf('alice')).toBe('eu');

    // A cache that is down may be picked too: pulls fall back up its chain meanwhile.
    expect((await choose(web, 'asia')).status).toBe(303);
    expect(await settingOf('alice')).toBe('asia');

    expect((await choose(web, '')).status).toBe(303);
    const none = await web.get('/profile');
    expect(textOf(none.html)).toContain('Saved. You have no content cache of your own now.');
    expect(checkedCache(none.html)).toBe('');
    expect(await settingOf('alice')).toBe('');
  });

  it('refuses a cache that is not registered, says so on the page, and keeps the saved choice', async () => {
    const web = await signedIn('carol');
    expect((await choose(web, 'eu')).status).toBe(303);
    const refused = await choose(web, 'mars');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    const text = textOf(refused.html);
    expect(text).toContain(
      'There is no content cache named "mars" (it may have just been removed). Pick one from the list, or None.',
    );
    expect(checkedCache(refused.html)).toBe('eu');
    expect(await settingOf('carol')).toBe('eu');

    const empty = await web.submit('/profile', '/profile/content-cache', {});
    expect(empty.status).toBe(400);
    expect(textOf(empty.html)).toContain('Choose a cache, or None.');
    expect(await settingOf('carol')).toBe('eu');
  });

  it('refuses a post without the CSRF token or with a wrong one (403, nothing saved)', async () => {
    const web = await signedIn('dave');
    const attempts: Array<Record<string, string>> = [
      { defaultContentCache: 'eu' },
      { _csrf: 'not-the-token', defaultContentCache: 'eu' },
    ];
    for (const fields of attempts) {
      const res = await web.postRaw('/profile/content-cache', fields);
      expect(res.status).toBe(403);
      expect(textOf(res.html)).toContain('This form has expired');
    }
    const anonymous = await new WebClient(main.url).postRaw('/profile/content-cache', { defaultContentCache: 'eu' });
    expect(anonymous.status).toBe(403);
    expect(await settingOf('dave')).toBe('');
  });

  it('warns about a saved cache that was removed since, and checks no choice', async () => {
    await main.service.caches.caches.create({ name: 'gone', host: 'http://127.0.0.1:9' });
    const web = await signedIn('dave');
    expect((await choose(web, 'gone')).status).toBe(303);
    await main.service.caches.caches.remove('gone');
    const page = await web.get('/profile');
    expect(textOf(page.html)).toContain(
      'Your saved cache "gone" is no longer registered, so it is not used. Pick another one, or None.',
    );
    expect(checkedCache(page.html)).toBeUndefined();
  });
});
