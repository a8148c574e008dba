/**
 * An edge as a node of its group: without `--node-id` it makes an id once and keeps it in its
 * data directory (a restart is the same node to main), it reports its own health to main with
 * its join token (the heartbeat), and its /health tells its hits and misses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let main: TestMain;
let token: string;
let data: TempDir;
const running: TestEdge[] = [];

const startNode = async () => {
  const edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    dataDir: data.path,
    flags: { joinToken: token },
    env: { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '100ms' },
  });
  running.push(edge);
  expect(await edge.service.joined).toBe('joined');
  return edge;
};

beforeAll(async () => {
  // No probe round during the test: what main knows of the node comes from its heartbeats.
  main = await startTestMain({ env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  token = (await main.service.caches.joinTokens.create(3_600_000)).token;
  data = await createTempDir('outpost-edge-node-');
});
afterAll(async () => {
  for (const edge of running) await edge.service.stop().catch(() => {});
  await main?.stop();
  await data?.remove();
});

describe('an edge joining as a node', () => {
  it('keeps the node id it made in its data directory, and is the same node after a restart', async () => {
    const first = await startNode();
    const id = (await readFile(join(data.path, 'node-id'), 'utf8')).trim();
    expect(id).toMatch(/^node-[0-9a-f]{12}$/);
    await first.service.stop();
    const second = await startNode();
    expect((await main.service.caches.caches.get('eu'))?.nodes).toEqual([
      { id, host: second.url, joinedAt: expect.any(Number), credentialHash: expect.any(String) },
    ]);
  });

  it('reports its health, hit counts and traffic counters to main with its join token', async () => {
    const id = (await readFile(join(data.path, 'node-id'), 'utf8')).trim();
    const health = await waitFor(() => {
      const h = main.service.caches.probe.nodeHealth(`eu/${id}`);
      return h.heartbeatAt !== undefined && h;
    }, 'a heartbeat from the edge');
    expect(health).toMatchObject({
      up: true,
      stats: { storeBytes: 0, blobs: 0, hits: 0, misses: 0, servedBytes: 0, upstreamBytes: 0, evictions: 0 },
    });
    expect(health.stats?.maxBytes).toBeGreaterThan(0);
    const body = (await (await fetch(`${running.at(-1)!.url}/health`)).json()) as Record<string, unknown>;
    expect(body.requests).toEqual({ hits: 0, misses: 0 });
    expect(body.traffic).toEqual({ servedBytes: 0, upstreamBytes: 0, evictions: 0 });
  });
});
