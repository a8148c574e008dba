/**
 * What edge nodes tell main, with the join token (`POST /api/v0/content_caches/heartbeat` and
 * `/trouble`), what an admin does to a group's nodes (`DELETE /content_caches/<name>/nodes/<id>`),
 * and the node ids main accepts at `POST /content_caches/join`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createUser, expectApiError } from '../helpers/api-client.js';
import { nodesOf } from '../../main/caches/cache-nodes.js';
import { waitFor } from '../helpers/wait-for.js';
import { closedPortUrl, startHealthServer, type HealthServer } from '../helpers/health-server.js';

const DAY = 24 * 3_600_000;
let main: TestMain;
let token: string;
let bob: string;
let live: HealthServer;
let deadUrl: string;

const post = (path: string, body: unknown) => api(main.url, 'POST', path, { body });
const join = (id: string, host: string, name = 'eu') => post('/content_caches/join', { token, name, nodeId: id, host });
type NodeView = { id: string; host: string; health: { up: boolean; heartbeatAt?: number }; storeBytes?: number };
const nodesInView = async (name = 'eu') =>
  (await apiOk<{ nodes: NodeView[] }>(main.url, 'GET', `/content_caches/${name}`, 200, { auth: ADMIN })).nodes;

beforeAll(async () => {
  // Only the reports (and the tests' own rounds) probe: nothing else would notice a node's trouble here.
  main = await startTestMain({
    auth: true,
    env: { OUTPOST_MAIN_CACHES__ACTIVE_PROBE_INTERVAL: '0s', OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '10m' },
  });
  token = (await main.service.caches.joinTokens.create(DAY)).token;
  bob = await createUser(main.url, 'bob');
  live = await startHealthServer();
  deadUrl = await closedPortUrl();
  expect((await join('live', live.url)).status).toBe(201);
  expect((await join('dead', deadUrl)).status).toBe(200);
});
afterAll(async () => {
  await live?.close();
  await main?.stop();
});

describe('POST /api/v0/content_caches/join with a node id', () => {
  it('makes one group of the nodes joining one name', async () => {
    expect((await nodesInView()).map((n) => [n.id, n.host])).toEqual([
      ['live', live.url],
      ['dead', deadUrl],
    ]);
  });

  it('answers 400 INVALID_INPUT for a node id that is not one, and adds no cache', async () => {
    for (const id of ['Upper', '-dash', 'a/b', 'x'.repeat(64), 42])
      await expectApiError(
        await post('/content_caches/join', { token, name: 'bad', nodeId: id, host: live.url }),
        400,
        'INVALID_INPUT',
        /node id must be/,
      );
    expect(await main.service.caches.caches.get('bad')).toBeUndefined();
  });
});

describe('POST /api/v0/content_caches/heartbeat', () => {
  it("records the node's own report (204): its stats, and up while fresh although main cannot reach it", async () => {
    const { probe } = main.service.caches;
    for (let i = 0; i < 3; i++) await probe.probeAll();
    expect(probe.isNodeUp('eu/dead')).toBe(false);
    const res = await post('/content_caches/heartbeat', {
      token,
      name: 'eu',
      nodeId: 'dead',
      ok: true,
      details: { store: { bytes: 1234, maxBytes: 9999 }, requests: { hits: 3, misses: 1 } },
    });
    expect(res.status, await res.text()).toBe(204);
    const node = (await nodesInView()).find((n) => n.id === 'dead')!;
    expect(node).toMatchObject({ health: { up: true, heartbeatAt: expect.any(Number) }, storeBytes: 1234 });
    expect(node).toMatchObject({ hitRatio: 0.75 });
  });

  it('answers 400 INVALID_INPUT for a counter that is no non-negative integer, keeping the last report', async () => {
    const beat = (traffic: unknown) =>
      post('/content_caches/heartbeat', { token, name: 'eu', nodeId: 'dead', ok: true, details: { traffic } });
    expect((await beat({ servedBytes: 10, upstreamBytes: 4, evictions: 1 })).status).toBe(204);
    const before = main.service.caches.probe.nodeHealth('eu/dead').stats;
    expect(before).toEqual({ servedBytes: 10, upstreamBytes: 4, evictions: 1 });
    for (const servedBytes of [-1, 1.5, '10', 2 ** 53, null])
      await expectApiError(
        await beat({ servedBytes, upstreamBytes: 4 }),
        400,
        'INVALID_INPUT',
        /details\.traffic\.servedBytes must be a non-negative integer/,
      );
    expect(main.service.caches.probe.nodeHealth('eu/dead').stats).toEqual(before);
  });

  it('answers 401 UNAUTHORIZED for a wrong token, before anything else', async () => {
    await expectApiError(
      await post('/content_caches/heartbeat', { token: 'outpost-join-wrong', name: 'nope', nodeId: 'x', ok: true }),
      401,
      'UNAUTHORIZED',
      /join token refused/,
    );
  });

  it('answers 404 NOT_FOUND for a node that did not join', async () => {
    await expectApiError(
      await post('/content_caches/heartbeat', { token, name: 'eu', nodeId: 'ghost', ok: true }),
      404,
      'NOT_FOUND',
      /no node "ghost" in content cache "eu": join first/,
    );
  });

  it('answers 404 NOT_FOUND, never a 500, for a name no cache can have (a NUL byte, which PostgreSQL refuses)', async () => {
    for (const name of ['eu\u0000', 'x'.repeat(4000)]) {
      const res = await post('/content_caches/heartbeat', { token, name, nodeId: 'dead', ok: true });
      await expectApiError(res, 404, 'NOT_FOUND', /no node "dead" in content cache/);
    }
  });
});

describe('POST /api/v0/content_caches/trouble', () => {
  it('probes the reported node at once: one failed probe takes a node receiving redirects down', async () => {
    const { probe } = main.service.caches;
    await join('flaky', await closedPortUrl(), 'us');
    await probe.probeAll(); // the round the join started: one failure, not receiving redirects yet
    const [flaky] = nodesOf((await main.service.caches.caches.get('us'))!);
    probe.noteRedirect(flaky!);
    expect(probe.isNodeUp('us/flaky')).toBe(true);
    const res = await post('/content_caches/trouble', { token, upstream: flaky!.host });
    expect(res.status).toBe(204);
    await waitFor(() => !probe.isNodeUp('us/flaky'), 'the reported node to be probed and marked down');
  });

  it('answers 401 UNAUTHORIZED for a wrong token and 400 for an upstream that is not a URL', async () => {
    await expectApiError(
      await post('/content_caches/trouble', { token: 'nope', upstream: live.url }),
      401,
      'UNAUTHORIZED',
      /join token refused/,
    );
    await expectApiError(
      await post('/content_caches/trouble', { token, upstream: 'not a url' }),
      400,
      'INVALID_INPUT',
      /host must be the http\(s\) URL/,
    );
  });
});

describe('DELETE /api/v0/content_caches/<name>/nodes/<id>', () => {
  it('answers 403 to a user who is not an admin, and 404 for an unknown node', async () => {
    await expectApiError(
      await api(main.url, 'DELETE', '/content_caches/eu/nodes/dead', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may remove content cache nodes/,
    );
    await expectApiError(
      await api(main.url, 'DELETE', '/content_caches/eu/nodes/ghost', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /content cache "eu" has no node "ghost"/,
    );
    expect((await nodesInView()).map((n) => n.id)).toEqual(['live', 'dead']);
  });

  it('answers 404 NOT_FOUND, never a 500, for a cache or node name none can have (a NUL byte)', async () => {
    for (const path of ['/content_caches/eu%00/nodes/dead', '/content_caches/eu/nodes/dead%00'])
      await expectApiError(await api(main.url, 'DELETE', path, { auth: ADMIN }), 404, 'NOT_FOUND', /has no node/);
    for (const method of ['GET', 'DELETE'] as const)
      await expectApiError(
        await api(main.url, method, '/content_caches/eu%00', { auth: ADMIN }),
        404,
        'NOT_FOUND',
        /content cache "eu.?" does not exist/,
      );
    expect((await nodesInView()).map((n) => n.id)).toEqual(['live', 'dead']);
  });

  it('retires a node of the group (204)', async () => {
    const res = await api(main.url, 'DELETE', '/content_caches/eu/nodes/dead', { auth: ADMIN });
    expect(res.status).toBe(204);
    expect((await nodesInView()).map((n) => n.id)).toEqual(['live']);
  });
});
