/**
 * `/admin/caches` (DESIGN 3.5): admins see each content cache with its host, region, chain,
 * health, networks and redirect count, and add, change and remove caches through the same
 * service as the API, whose refusals are explained on the form. An organization's default
 * cache is set on its administration page. Probes run only when a test asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createOrg, createUser } from '../helpers/api-client.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';
import { createUsers, expectRedirect, getBlob, publishImage, setCache } from '../helpers/redirect.js';
import { textOf, WebClient, type WebPage } from '../helpers/web-client.js';

let main: TestMain;
let edge: HealthServer;
let admin: WebClient;
let bob: WebClient;
let deadHost: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  edge = await startHealthServer();
  deadHost = await closedPortUrl();
  const { caches, probe } = main.service.caches;
  await caches.create({ name: 'eu', host: edge.url, region: 'eu-west-1', networks: ['10.1.0.0/16', '2001:db8::/32'] });
  await caches.create({ name: 'asia', host: deadHost, upstream: 'eu' });
  for (let i = 0; i < 3; i++) await probe.probeAll();
  await createUser(main.url, 'bob');
  await createOrg(main.url, 'acme');
  await fetch(`${main.url}/api/v0/accounts/acme/members/bob`, {
    method: 'PUT',
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    body: '{}',
  });
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
  bob = new WebClient(main.url);
  await bob.signIn('bob', PASSWORD);
});
afterAll(async () => {
  await main?.stop();
  await edge?.close();
});

const cache = (name: string) => main.service.caches.caches.get(name);
const rowText = (page: WebPage, name: string): string => {
  const row = [...page.html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((m) => textOf(m[1]!))
    .find((text) => text.startsWith(`${name} `));
  if (!row) throw new Error(`no row for ${name} in:\n${textOf(page.html)}`);
  return row;
};
const NEW_CACHE = {
  name: 'us',
  host: 'http://127.0.0.1:9/',
  upstream: 'eu',
  region: 'us-east-1',
  networks: '10.2.0.0/16\r\n192.168.0.0/24\r\n',
};

describe('who may open /admin/caches', () => {
  it('sends anonymous visitors to sign in', async () => {
    for (const path of ['/admin/caches', '/admin/caches/eu']) {
      const res = await new WebClient(main.url).get(path);
      expect(res.status, path).toBe(302);
      expect(res.location).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
    }
  });

  it('shows users who are not admins the 403 page, and their forms change nothing', async () => {
    for (const path of ['/admin/caches', '/admin/caches/eu']) {
      const res = await bob.get(path);
      expect(res.status, path).toBe(403);
      expect(textOf(res.html)).toContain('Administrators only');
    }
    expect((await bob.submit('/profile', '/admin/caches', NEW_CACHE)).status).toBe(403);
    expect((await bob.submit('/profile', '/admin/caches/eu', { host: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await bob.submit('/profile', '/admin/caches/asia/remove', {})).status).toBe(403);
    expect(
      (await bob.submit('/profile', '/admin/organizations/acme/content-cache', { defaultContentCache: 'eu' })).status,
    ).toBe(403);
    expect([await cache('us'), (await cache('eu'))?.host, (await cache('asia'))?.name]).toEqual([
      undefined,
      edge.url,
      'asia',
    ]);
  });

  it('is linked in the administration navigation', async () => {
    const page = await admin.get('/admin/users');
    expect(page.html).toMatch(/<a href="\/admin\/caches">Content caches<\/a>/);
    expect((await admin.get('/admin/caches')).html).toMatch(
      /<a href="\/admin\/caches" aria-current="page">Content caches<\/a>/,
    );
  });
});

describe('GET /admin/caches', () => {
  it('shows each cache with host, region, chain, health, networks and redirect count', async () => {
    const auth = await createUsers(main, ['alice']);
    const image = await publishImage(main);
    await setCache(main, 'alice', 'eu');
    for (let i = 0; i < 2; i++)
      await expectRedirect(await getBlob(main, image.layers[0]!.digest, auth.alice), edge.url, image.layers[0]!.digest);

    const page = await admin.get('/admin/caches');
    expect(page.status).toBe(200);
    const since = String.raw`since \d{4}-\d\d-\d\d \d\d:\d\d UTC`;
    expect(rowText(page, 'eu')).toMatch(
      new RegExp(`^eu ${edge.url} eu-west-1 eu → main up ${since} checked just now 10\\.1\\.0\\.0/16 2001:db8::/32 2$`),
    );
    const lastError = main.service.caches.probe.health('asia').lastError!;
    expect(lastError).toMatch(/ECONNREFUSED/);
    expect(rowText(page, 'asia')).toMatch(
      new RegExp(`^asia ${deadHost} not set asia → eu → main down ${since} checked just now .*ECONNREFUSED.* none 0$`),
    );
    expect(page.html).toContain('href="/admin/caches/eu"');
  });
});

describe('POST /admin/caches', () => {
  it('adds a cache with its upstream, region and networks (one per line)', async () => {
    const res = await admin.submit('/admin/caches', '/admin/caches', NEW_CACHE);
    expect(res.status, textOf(res.html).slice(0, 300)).toBe(303);
    expect(res.location).toBe('/admin/caches');
    const page = await admin.get('/admin/caches');
    expect(textOf(page.html)).toContain('Content cache us added.');
    expect(rowText(page, 'us')).toMatch(
      /^us http:\/\/127\.0\.0\.1:9 us-east-1 us → eu → main .* 10\.2\.0\.0\/16 192\.168\.0\.0\/24 0$/,
    );
    expect(await cache('us')).toMatchObject({
      host: 'http://127.0.0.1:9',
      upstream: 'eu',
      region: 'us-east-1',
      networks: ['10.2.0.0/16', '192.168.0.0/24'],
    });
  });

  it('explains each refusal of the caches service on the form and keeps what was typed', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ name: 'eu', host: 'http://127.0.0.1:9' }, 409, 'Content cache "eu" already exists.'],
      [
        { name: 'Not A Name', host: 'http://127.0.0.1:9' },
        400,
        'Name must be lowercase letters, digits and dashes, at most 63 characters.',
      ],
      [
        { name: 'sa', host: 'ftp://sa.example.com' },
        400,
        'Host must be the http(s) URL of the edge, such as https://sg.registry.example.com.',
      ],
      [
        { name: 'sa', host: 'http://127.0.0.1:9', networks: '10.0.0.0/8\n10.0.0.0/99' },
        400,
        '"10.0.0.0/99" is not a network in CIDR notation (such as 10.1.0.0/16).',
      ],
      [
        { name: 'sa', host: 'http://127.0.0.1:9', upstream: 'mars' },
        400,
        'Upstream "mars" is not a known content cache (leave it empty to pull from main).',
      ],
    ];
    for (const [fields, status, message] of cases) {
      const res = await admin.submit('/admin/caches', '/admin/caches', { region: 'sa-east-1', ...fields });
      expect(res.status, message).toBe(status);
      expect(textOf(res.html)).toContain(message);
      expect(res.html).toContain('value="sa-east-1"');
    }
    expect(await cache('sa')).toBeUndefined();
  });
});

describe('/admin/caches/<name>', () => {
  it('shows the cache with its edit form filled in', async () => {
    const page = await admin.get('/admin/caches/us');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toContain('Chain us → eu → main');
    expect(page.html).toContain('value="http://127.0.0.1:9"');
    expect(page.html).toMatch(/<option value="eu" selected="">eu<\/option>/);
    expect(page.html).toContain('>10.2.0.0/16\n192.168.0.0/24</textarea>');
    // A cache cannot be its own upstream: it is not offered.
    expect(page.html).not.toContain('<option value="us"');
    expect((await admin.get('/admin/caches/mars')).status).toBe(404);
  });

  it('changes host, region, upstream and networks', async () => {
    const res = await admin.submit('/admin/caches/us', '/admin/caches/us', {
      host: 'http://127.0.0.1:19',
      upstream: '',
      region: 'us-west-2',
      networks: '172.16.0.0/12',
    });
    expect(res.status, textOf(res.html).slice(0, 300)).toBe(303);
    expect(res.location).toBe('/admin/caches/us');
    const page = await admin.get('/admin/caches/us');
    expect(textOf(page.html)).toContain('Content cache us saved.');
    expect(textOf(page.html)).toContain('Chain us → main');
    expect(await cache('us')).toMatchObject({
      host: 'http://127.0.0.1:19',
      region: 'us-west-2',
      networks: ['172.16.0.0/12'],
    });
    expect((await cache('us'))?.upstream).toBeUndefined();
  });

  it('explains a cycle, an unknown upstream or a bad network, and changes nothing', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ upstream: 'asia' }, 'Upstream "asia" would make a cycle through "eu".'],
      [{ upstream: 'mars' }, 'Upstream "mars" is not a known content cache (leave it empty to pull from main).'],
      [{ networks: 'ten.0.0.0/8' }, '"ten.0.0.0/8" is not a network in CIDR notation (such as 10.1.0.0/16).'],
    ];
    for (const [fields, message] of cases) {
      const res = await admin.submit('/admin/caches/eu', '/admin/caches/eu', {
        host: edge.url,
        region: 'eu-west-1',
        upstream: '',
        networks: '10.1.0.0/16',
        ...fields,
      });
      expect(res.status, message).toBe(400);
      expect(textOf(res.html)).toContain(message);
    }
    expect(await cache('eu')).toMatchObject({ host: edge.url, networks: ['10.1.0.0/16', '2001:db8::/32'] });
    expect((await cache('eu'))?.upstream).toBeUndefined();
  });

  it('refuses to remove a cache still used as an upstream, and removes one that is not', async () => {
    const refused = await admin.submit('/admin/caches/eu', '/admin/caches/eu/remove', {});
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain('Content cache "eu" is the upstream of asia; change or remove those first.');
    expect(await cache('eu')).toBeDefined();

    const removed = await admin.submit('/admin/caches/us', '/admin/caches/us/remove', {});
    expect(removed.status).toBe(303);
    expect(removed.location).toBe('/admin/caches');
    const page = await admin.get('/admin/caches');
    expect(textOf(page.html)).toContain('Content cache us removed.');
    expect(await cache('us')).toBeUndefined();
  });
});

describe("an organization's default content cache", () => {
  const orgSetting = async () => (await main.service.accounts.getSettings('acme')).defaultContentCache ?? '';

  it('is set on the organization page, and serves members who picked none', async () => {
    const page = await admin.get('/admin/organizations/acme');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<option value="" selected="">None \(pull from main\)<\/option>/);
    expect(page.html).toContain('<option value="eu">eu (eu-west-1)</option>');

    const res = await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/content-cache', {
      defaultContentCache: 'eu',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/admin/organizations/acme');
    const after = await admin.get('/admin/organizations/acme');
    expect(textOf(after.html)).toContain('Members of acme without a cache of their own now pull from eu.');
    expect(after.html).toMatch(/<option value="eu" selected="">eu \(eu-west-1\)<\/option>/);
    expect(await orgSetting()).toBe('eu');
    expect(textOf((await bob.get('/profile')).html)).toContain('Your organization acme has eu as its default');

    expect(
      (
        await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/content-cache', {
          defaultContentCache: '',
        })
      ).status,
    ).toBe(303);
    expect(await orgSetting()).toBe('');
  });

  it('refuses a cache that is not registered, and a post without the CSRF token', async () => {
    const refused = await admin.submit('/admin/organizations/acme', '/admin/organizations/acme/content-cache', {
      defaultContentCache: 'mars',
    });
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain('There is no content cache named "mars"');
    const forged = await admin.postRaw('/admin/organizations/acme/content-cache', { defaultContentCache: 'eu' });
    expect(forged.status).toBe(403);
    expect(await orgSetting()).toBe('');
  });
});
