/**
 * The repository and tag pages tell the viewer where their pulls fetch layers from: the cache
 * main redirects them to (with its region and why it was chosen), or main itself and why (no
 * cache picked, the chosen cache down), with a link to the profile where that is the remedy.
 * Nothing is said while no cache is registered. Probes run only when a test asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, apiOk, createOrg, createUser, pushImageAs } from '../helpers/api-client.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let edge: HealthServer;
const REPO_PAGE = '/repositories/acme/app';
const TAG_PAGE = '/repositories/acme/app/-/tags/1.0';

const signedIn = async (name: string) => {
  const web = new WebClient(main.url);
  await web.signIn(name, PASSWORD);
  return web;
};
/** The pull-source line of a page, as text; undefined when the page has none. */
const noteOf = (html: string) => {
  const match = /<p class="pull-source"[\s\S]*?<\/p>/.exec(html);
  // textOf puts a space where each tag was: none before punctuation, as a browser shows it.
  return match ? textOf(match[0]).replace(/ ([:.,])/g, '$1') : undefined;
};

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  edge = await startHealthServer();
  for (const name of ['alice', 'bob', 'carol']) await createUser(main.url, name);
  await createOrg(main.url, 'acme');
  await pushImageAs(main.url, ADMIN, 'acme/app', '1.0');
  await apiOk(main.url, 'PATCH', '/repositories/acme/app', 200, { auth: ADMIN, body: { visibility: 'public' } });
  for (const member of ['alice', 'bob', 'carol'])
    await apiOk(main.url, 'PUT', `/accounts/acme/members/${member}`, 200, { auth: ADMIN, body: {} });
});
afterAll(async () => {
  await main?.stop();
  await edge?.close();
});

describe('where pulls fetch layers from, on the repository and tag pages', () => {
  it('says nothing while no content cache is registered', async () => {
    const alice = await signedIn('alice');
    for (const path of [REPO_PAGE, TAG_PAGE]) {
      const page = await alice.get(path);
      expect(page.status).toBe(200);
      expect(noteOf(page.html)).toBeUndefined();
    }
  });

  it("names the viewer's cache with its region and why it was chosen", async () => {
    const { caches, probe } = main.service.caches;
    await caches.create({ name: 'eu', host: edge.url, region: 'eu-west-1' });
    await caches.create({ name: 'asia', host: await closedPortUrl(), region: 'ap-southeast-1', upstream: 'eu' });
    for (let i = 0; i < 3; i++) await probe.probeAll();
    await main.service.accounts.updateSettings('alice', { defaultContentCache: 'eu' });
    await main.service.accounts.updateSettings('acme', { defaultContentCache: 'eu' });
    const alice = await signedIn('alice');
    for (const page of [REPO_PAGE, TAG_PAGE])
      expect(noteOf((await alice.get(page)).html)).toBe(
        'Your pulls fetch layers from eu (eu-west-1, up): your choice on your profile. Change',
      );
    expect(noteOf((await (await signedIn('carol')).get(REPO_PAGE)).html)).toBe(
      "Your pulls fetch layers from eu (eu-west-1, up): your organization's default. Change",
    );
  });

  it('says when a cache down sends the pulls up its chain or back to main', async () => {
    await main.service.accounts.updateSettings('bob', { defaultContentCache: 'asia' });
    const bob = await signedIn('bob');
    expect(noteOf((await bob.get(REPO_PAGE)).html)).toBe(
      'Your pulls fetch layers from eu (eu-west-1, up): your choice on your profile, through it while asia is down. Change',
    );
    await edge.close();
    for (let i = 0; i < 3; i++) await main.service.caches.probe.probeAll();
    expect(noteOf((await bob.get(TAG_PAGE)).html)).toBe(
      'Your pulls fetch layers from main: asia, the cache chosen for you, is down. Main serves them until it is back.',
    );
  });

  it('invites a viewer who picked no cache to pick one, and tells anonymous visitors plainly', async () => {
    await main.service.accounts.updateSettings('acme', { defaultContentCache: '' });
    const carol = await signedIn('carol');
    const page = (await carol.get(REPO_PAGE)).html;
    expect(noteOf(page)).toBe(
      'Your pulls fetch layers from main: you have not picked a content cache. Pick one near you.',
    );
    expect(page).toContain('<a href="/profile">Pick one near you</a>');
    expect(noteOf((await new WebClient(main.url).get(REPO_PAGE)).html)).toBe('Anonymous pulls fetch layers from main.');
  });
});
