/**
 * Main's probe of a cache group's nodes (main/caches/health-probe.ts): a node receiving redirects
 * goes down at its first failed probe and is probed between rounds; trouble reports probe at
 * once; an edge main cannot reach stays up on its own heartbeats; a group is up while one node is.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { HealthProbe } from '../../../main/caches/health-probe.js';
import { nodesOf, type CacheNode } from '../../../main/caches/cache-nodes.js';
import type { ContentCache } from '../../../main/caches/content-caches.js';
import { silentLogger } from '../../../src/log/logger.js';
import { closedPortUrl } from '../../helpers/health-server.js';

let server: Server;
let liveUrl: string;
let deadUrl: string;
let dispatcher: Agent;
let clock: number;
let probes: number;

beforeAll(async () => {
  server = createServer((_req, res) => {
    probes++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 'ok',
        store: { bytes: 300, blobs: 3, maxBytes: 1000 },
        requests: { hits: 3, misses: 1 },
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  liveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  deadUrl = await closedPortUrl();
  dispatcher = new Agent({ connect: { timeout: 300 } });
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await dispatcher.close();
});
beforeEach(() => {
  clock = 1_000_000;
  probes = 0;
});

/** The group `eu`: node `live` answers, node `dead` refuses connections (unless given other hosts). */
const group = (hosts: Record<string, string> = { live: liveUrl, dead: deadUrl }): ContentCache => ({
  name: 'eu',
  host: liveUrl,
  networks: [],
  createdAt: 0,
  nodes: Object.entries(hosts).map(([id, host]) => ({ id, host, joinedAt: 0 })),
});
const node = (cache: ContentCache, id: string): CacheNode => nodesOf(cache).find((n) => n.id === id)!;

function newProbe(cache: ContentCache): HealthProbe {
  return new HealthProbe({
    caches: () => [cache],
    dispatcher,
    logger: silentLogger,
    intervalMs: 60_000,
    timeoutMs: 300,
    heartbeatStaleMs: 15_000,
    now: () => clock,
  });
}

describe('HealthProbe, nodes of a group', () => {
  it('takes a node receiving redirects down at its first failed probe, an idle one at its third', async () => {
    const cache = group();
    const probe = newProbe(cache);
    await probe.probeAll();
    expect(probe.isNodeUp('eu/dead')).toBe(true);
    probe.noteRedirect(node(cache, 'dead'));
    await probe.probeAll();
    expect(probe.isNodeUp('eu/dead')).toBe(false);
    expect(probe.isNodeUp('eu/live')).toBe(true);
    expect(probe.isUp('eu')).toBe(true);

    const idle = newProbe(cache);
    await idle.probeAll();
    await idle.probeAll();
    expect(idle.isNodeUp('eu/dead')).toBe(true);
    await idle.probeAll();
    expect(idle.isNodeUp('eu/dead')).toBe(false);
  });

  it('takes a node receiving redirects down at its first refused probe, but only at its third timed-out one', async () => {
    // A node whose probes time out may only be slow to answer behind its own downloads on a busy
    // WAN link: one such probe must not send the region's pulls back across that link.
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const cache = group({ slow: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, dead: deadUrl });
      const probe = newProbe(cache);
      probe.noteRedirect(node(cache, 'slow'));
      probe.noteRedirect(node(cache, 'dead'));
      await probe.probeAll();
      expect(probe.isNodeUp('eu/dead')).toBe(false);
      expect(probe.isNodeUp('eu/slow')).toBe(true);
      expect(probe.nodeHealth('eu/slow')).toMatchObject({ lastError: expect.any(String) });
      await probe.probeAll();
      expect(probe.isNodeUp('eu/slow')).toBe(true);
      await probe.probeAll();
      expect(probe.isNodeUp('eu/slow')).toBe(false);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('forgets what it saw of a node at its old URL once the node moved (a new edge under the same id)', async () => {
    const before = group({ only: deadUrl });
    const probe = newProbe(before);
    probe.noteRedirect(node(before, 'only'));
    await probe.probeAll();
    expect(probe.isNodeUp('eu/only', deadUrl)).toBe(false);
    // An admin points the node at the new edge: it is used at once, and the fast probes follow it.
    const after = group({ only: liveUrl });
    expect(probe.isNodeUp('eu/only', liveUrl)).toBe(true);
    probes = 0;
    probe.noteRedirect(node(after, 'only'));
    await probe.probeActive();
    expect(probes).toBe(1);
    expect(probe.nodeHealth('eu/only', liveUrl)).toMatchObject({ up: true });
  });

  it('is down as a group only when every node is', async () => {
    const probe = newProbe(group({ one: deadUrl, two: await closedPortUrl() }));
    for (let i = 0; i < 3; i++) await probe.probeAll();
    expect(probe.isUp('eu')).toBe(false);
    expect(probe.health('eu')).toMatchObject({ up: false, lastError: expect.any(String) });
  });

  it('probes between rounds only the nodes that received redirects lately', async () => {
    const cache = group();
    const probe = newProbe(cache);
    await probe.probeAll();
    probes = 0;
    await probe.probeActive();
    expect(probes).toBe(0);
    probe.noteRedirect(node(cache, 'live'));
    await probe.probeActive();
    await probe.probeActive();
    expect(probes).toBe(2);
    clock += 11_000; // past the 10 s window
    await probe.probeActive();
    expect(probes).toBe(2);
  });

  it("probes a cache's node at once on a trouble report", async () => {
    const cache = group();
    const probe = newProbe(cache);
    await probe.probeAll();
    probe.noteRedirect(node(cache, 'dead'));
    expect(probe.isNodeUp('eu/dead')).toBe(true);
    await probe.suspect(cache, deadUrl);
    expect(probe.isNodeUp('eu/dead')).toBe(false);
  });

  it("keeps what the edge's /health says of its store and requests", async () => {
    const probe = newProbe(group());
    await probe.probeAll();
    expect(probe.nodeHealth('eu/live')).toMatchObject({
      up: true,
      stats: { storeBytes: 300, maxBytes: 1000, blobs: 3, hits: 3, misses: 1 },
    });
  });

  it('counts a node it never reached as up while its heartbeats are fresh and healthy', async () => {
    const probe = newProbe(group({ nat: deadUrl }));
    for (let i = 0; i < 3; i++) await probe.probeAll();
    expect(probe.isNodeUp('eu/nat')).toBe(false);
    probe.heartbeat('eu/nat', true, { storeBytes: 5 });
    expect(probe.isNodeUp('eu/nat')).toBe(true);
    expect(probe.nodeHealth('eu/nat')).toMatchObject({ heartbeatAt: clock, stats: { storeBytes: 5 } });
    clock += 16_000;
    expect(probe.isNodeUp('eu/nat')).toBe(false);
    probe.heartbeat('eu/nat', false);
    expect(probe.isNodeUp('eu/nat')).toBe(false);
  });

  it('lets the probes decide for a node they reached, whatever its last heartbeat said', async () => {
    const edge = createServer((_req, res) => res.end('{"status":"ok"}'));
    edge.listen(0, '127.0.0.1');
    await once(edge, 'listening');
    const cache = group({ dying: `http://127.0.0.1:${(edge.address() as AddressInfo).port}` });
    const probe = newProbe(cache);
    await probe.probeAll();
    probe.heartbeat('eu/dying', true);
    // The edge dies right after its heartbeat: the next probe is refused.
    edge.closeAllConnections();
    edge.close();
    await once(edge, 'close');
    probe.noteRedirect(node(cache, 'dying'));
    await probe.probeAll();
    expect(probe.isNodeUp('eu/dying')).toBe(false);
  });

  it('counts a node reporting itself unhealthy as down even while its probes succeed', async () => {
    const probe = newProbe(group({ live: liveUrl }));
    await probe.probeAll();
    probe.heartbeat('eu/live', false);
    expect(probe.isNodeUp('eu/live')).toBe(false);
    expect(probe.isUp('eu')).toBe(false);
  });
});
