/**
 * A node keeps working on main after its join token expires: main issued it a credential at its
 * join, which it keeps in its data directory and presents for its heartbeats and, after a
 * restart, for registering again. Before, heartbeats and registrations stopped a day after the
 * edge started (join tokens live a day by default).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { ADMIN, api } from '../helpers/api-client.js';

const TOKEN_LIFETIME_MS = 1_500;
let main: TestMain;
let token: string;
let expiresAt: number;
let data: TempDir;
const running: TestEdge[] = [];

const startNode = async (joinToken: string) => {
  const edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    dataDir: data.path,
    flags: { joinToken },
    env: { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '100ms' },
  });
  running.push(edge);
  return edge;
};

const heartbeatAfter = (key: string, at: number) =>
  waitFor(
    () => {
      const { heartbeatAt } = main.service.caches.probe.nodeHealth(key);
      return heartbeatAt !== undefined && heartbeatAt > at && heartbeatAt;
    },
    `a heartbeat after ${new Date(at).toISOString()}`,
  );

beforeAll(async () => {
  main = await startTestMain({ env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h' } });
  ({ token, expiresAt } = await main.service.caches.joinTokens.create(TOKEN_LIFETIME_MS));
  data = await createTempDir('outpost-edge-credential-');
});
afterAll(async () => {
  for (const edge of running) await edge.service.stop().catch(() => {});
  await main?.stop();
  await data?.remove();
});

describe("a node's credential", () => {
  it('keeps heartbeats accepted after the join token expired, and registers the restarted edge again', async () => {
    const first = await startNode(token);
    expect(await first.service.joined).toBe('joined');
    const credential = (await readFile(join(data.path, 'node-credential'), 'utf8')).trim();
    expect(credential).toMatch(/^outpost-node-/);
    const id = (await readFile(join(data.path, 'node-id'), 'utf8')).trim();

    await heartbeatAfter(`eu/${id}`, expiresAt + 200);
    expect(await main.service.caches.joinTokens.isValid(token)).toBe(false);

    await first.service.stop();
    const second = await startNode(token);
    expect(await second.service.joined).toBe('joined');
    expect((await main.service.caches.caches.get('eu'))?.nodes?.map((n) => n.host)).toEqual([second.url]);
    // Registered with the credential: nothing new was issued, the file is unchanged.
    expect((await readFile(join(data.path, 'node-credential'), 'utf8')).trim()).toBe(credential);
    await heartbeatAfter(`eu/${id}`, Date.now());
  });

  it('is refused for any other node, and nothing in main answers with it or its hash', async () => {
    const credential = (await readFile(join(data.path, 'node-credential'), 'utf8')).trim();
    const id = (await readFile(join(data.path, 'node-id'), 'utf8')).trim();
    const post = (path: string, body: object) =>
      fetch(`${main.url}/api/v0/content_caches/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: credential, ...body }),
      });
    const other = await post('heartbeat', { name: 'eu', nodeId: 'someone-else', ok: true });
    expect(other.status).toBe(401);
    expect(await other.text()).toMatch(/node credential refused/);
    expect((await post('join', { name: 'other', nodeId: id, host: 'https://x.example.com' })).status).toBe(401);
    expect((await post('heartbeat', { name: 'eu', nodeId: id, ok: true })).status).toBe(204);

    const listing = await api(main.url, 'GET', '/content_caches', { auth: ADMIN });
    expect(listing.status).toBe(200);
    const text = await listing.text();
    const [node] = (await main.service.caches.caches.get('eu'))?.nodes ?? [];
    expect(text).not.toContain(credential);
    expect(text).not.toContain(node!.credentialHash!);
  });
});
