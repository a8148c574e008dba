/**
 * `/admin/caches` for a cache group: the list counts the group's nodes and those up; the page of
 * one cache lists every node with its health, disk use and hit ratio, as main's probe and the
 * nodes' heartbeats report them. Probes run only when a test asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { api } from '../helpers/api-client.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let live: HealthServer;
let deadHost: string;
let admin: WebClient;

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  live = await startHealthServer();
  deadHost = await closedPortUrl();
  const { token } = await main.service.caches.joinTokens.create(3_600_000);
  for (const [nodeId, host] of [
    ['eu-1', live.url],
    ['eu-2', deadHost],
  ])
    expect(
      (await api(main.url, 'POST', '/content_caches/join', { body: { token, name: 'eu', nodeId, host } })).ok,
    ).toBe(true);
  for (let i = 0; i < 3; i++) await main.service.caches.probe.probeAll();
  const beat = await api(main.url, 'POST', '/content_caches/heartbeat', {
    body: {
      token,
      name: 'eu',
      nodeId: 'eu-1',
      ok: true,
      details: { store: { bytes: 3 * 2 ** 20, maxBytes: 10 * 2 ** 30 }, requests: { hits: 9, misses: 1 } },
    },
  });
  expect(beat.status).toBe(204);
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
});
afterAll(async () => {
  await main?.stop();
  await live?.close();
});

describe('/admin/caches for a group of nodes', () => {
  it('shows how many nodes the group has and how many are up', async () => {
    const page = await admin.get('/admin/caches');
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('eu 2 nodes, 1 up');
  });

  it("lists each node of a cache with its health, disk use and hit ratio on the cache's page", async () => {
    const page = await admin.get('/admin/caches/eu');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toContain('Nodes (2)');
    const rows = [...page.html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1]!));
    const row = (id: string) => rows.find((r) => r.startsWith(`${id} `)) ?? '';
    expect(row('eu-1')).toMatch(
      new RegExp(`^eu-1 ${live.url} up since .* UTC checked .* 3\\.1 MB of 10\\.7 GB 90\\.0%$`),
    );
    expect(row('eu-2')).toMatch(
      new RegExp(`^eu-2 ${deadHost} down since .* UTC checked .*ECONNREFUSED.* not reported no pulls yet$`),
    );
  });
});
