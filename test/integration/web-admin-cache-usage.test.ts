/**
 * The admin caches dashboard end to end: a real edge joins main and beats every 100 ms, a user
 * pulls an image through it twice, and `/admin/caches/<name>` and `GET /api/v0/content_caches/<name>`
 * (its `usage`) show what was pulled: hits, misses, bytes served and fetched, redirects, disk and
 * blobs, for the group and its node, with the day's chart and its text alternative. Only admins
 * see them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { ADMIN, apiOk } from '../helpers/api-client.js';
import { createUsers, expectRedirect, getBlob, publishImage, setCache, USER_PASSWORD } from '../helpers/redirect.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { basicAuth } from '../helpers/auth-http.js';

const LAYERS = [1000, 2000];
let main: TestMain;
let edge: TestEdge;
let nodeId: string;

type Window = { hits: number; misses: number; servedBytes: number; upstreamBytes: number; redirects: number };
type Usage = { lastHour: Window; lastDay: Window; hourly: unknown[]; store?: { blobs: number; bytes: number } };
type CacheView = { usage?: Usage & { nodes: ({ id: string } & Usage)[] } };
const cacheView = (auth = ADMIN) => apiOk<CacheView>(main.url, 'GET', '/content_caches/eu', 200, { auth });

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    // Redirect counts written every 100 ms rather than every minute.
    env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h', OUTPOST_MAIN_CACHES__REDIRECT_SAMPLE_INTERVAL: '100ms' },
  });
  const { token } = await main.service.caches.joinTokens.create(3_600_000);
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    flags: { joinToken: token },
    env: { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '100ms' },
  });
  expect(await edge.service.joined).toBe('joined');
  nodeId = (await main.service.caches.caches.get('eu'))!.nodes![0]!.id;
  const auth = await createUsers(main, ['alice']);
  await setCache(main, 'alice', 'eu');
  const image = await publishImage(main, LAYERS);
  // Each layer pulled twice: a miss (fetched from main), then a hit.
  for (let round = 0; round < 2; round++)
    for (const layer of image.layers) {
      const location = await expectRedirect(await getBlob(main, layer.digest, auth.alice), edge.url, layer.digest);
      expect((await readBody(await fetch(location))).bytes.equals(layer.bytes)).toBe(true);
    }
  await waitFor(async () => {
    const hour = (await cacheView()).usage?.lastHour;
    return hour?.hits === 2 && hour.redirects === 4;
  }, 'a heartbeat sample and a redirect sample after the pulls');
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

const pulled = { hits: 2, misses: 2, servedBytes: 2 * 3000, upstreamBytes: 3000, redirects: 4 };

describe('GET /api/v0/content_caches/<name> usage', () => {
  it('gives an admin the figures of what was pulled, for the group and its node', async () => {
    const { usage } = await cacheView();
    for (const window of [usage!.lastHour, usage!.lastDay])
      expect(window).toEqual({ ...pulled, evictions: 0, hitRatio: 0.5 });
    expect(usage!.store).toEqual({ blobs: 2, bytes: 3000, maxBytes: expect.any(Number) });
    expect(usage!.hourly).toHaveLength(24);
    expect(usage!.nodes).toEqual([expect.objectContaining({ id: nodeId, lastHour: usage!.lastHour })]);
  });

  it('leaves the usage out for a user who is not an admin', async () => {
    const view = await cacheView(basicAuth('alice', USER_PASSWORD));
    expect(view).toMatchObject({ name: 'eu' });
    expect(view.usage).toBeUndefined();
  });
});

describe('/admin/caches/<name> usage', () => {
  it('shows the same figures for the group and the node, and the chart with its text alternative', async () => {
    const admin = new WebClient(main.url);
    await admin.signInAsAdmin();
    const page = await admin.get('/admin/caches/eu');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    for (const row of [
      'Hit ratio 50.0% 50.0%',
      'Hits 2 2',
      'Misses 2 2',
      'Served to clients 6.0 kB 6.0 kB',
      'Fetched from upstream 3.0 kB 3.0 kB',
      'Evictions 0 0',
      'Redirects received 4 4',
      'Disk used 3.0 kB of',
      'Blobs 2',
      `${nodeId} 50.0% / 50.0% 6.0 kB / 6.0 kB 3.0 kB / 3.0 kB 2 0 / 0 4 / 4`,
    ])
      expect(text).toContain(row);
    expect(text).toMatch(/up since \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(page.html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="usage-chart-title usage-chart-desc"/);
    expect(text).toContain('6.0 kB served in the last 24 hours');
    expect(text).toContain('Bytes served and hit ratio per hour (UTC)');
  });

  it('refuses a user who is not an admin', async () => {
    const alice = new WebClient(main.url);
    await alice.signIn('alice', USER_PASSWORD);
    const page = await alice.get('/admin/caches/eu');
    expect(page.status).toBe(403);
    expect(textOf(page.html)).not.toContain('Served to clients');
  });
});
