/**
 * Failover without failed pulls, with skopeo (which does not retry) against real processes of
 * the built CLI: main probes its cache nodes on its usual 10 s rounds, and every second the
 * nodes it is redirecting to. Two skopeo loops pull an image through main while an edge node
 * is killed (SIGKILL): pulls may fail during the first second after the kill, none after it.
 * With a group of two, the other node takes the dead node's blobs; with one node, main serves
 * the blobs itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ADMIN_PASSWORD, basicAuth } from '../../helpers/servers.js';
import { pushImageAs } from '../../helpers/api-client.js';
import { makePublic } from '../../helpers/auth-http.js';
import { readMetric } from '../../helpers/edge.js';
import { randomBlob } from '../../helpers/oci-fixtures.js';
import { dockerRef, skopeo } from '../../helpers/skopeo.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { runOutpost, startOutpost, type OutpostProcess } from '../../helpers/outpost-processes.js';

const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);
let temp: TempDir;
let main: OutpostProcess;
let joinToken: string;
const edges: OutpostProcess[] = [];
let pulls = 0;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${main.url}/api/v0${path}`, {
    method,
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

async function startNode(group: string, id: string): Promise<OutpostProcess> {
  const edge = await startOutpost(
    ['edge'],
    {
      OUTPOST_EDGE_NAME: group,
      OUTPOST_EDGE_NODE_ID: id,
      OUTPOST_EDGE_UPSTREAM: main.url,
      OUTPOST_EDGE_LISTEN: '127.0.0.1:0',
      OUTPOST_EDGE_DATA_DIR: join(temp.path, `edge-${group}-${id}`),
      OUTPOST_EDGE_JOIN_TOKEN: joinToken,
    },
    'edge cache listening',
  );
  edges.push(edge);
  await edge.waitForOutput(/"msg":"registered on main"/, `node ${group}/${id} to register on main`);
  return edge;
}

/** An image of eight small layers (so that every node of a group serves some), public in `repo`. */
async function publish(repo: string): Promise<void> {
  await pushImageAs(
    main.url,
    ADMIN,
    repo,
    'v1',
    Array.from({ length: 8 }, (_, i) => randomBlob(32 * 1024 + i)),
  );
  await makePublic(main.url, repo, ADMIN);
}

/** One anonymous `skopeo copy` (no retries) into a fresh directory: whether it succeeded. */
async function pullOnce(repo: string): Promise<boolean> {
  const dir = join(temp.path, `pull-${++pulls}`);
  try {
    await skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', dockerRef(main.url, `${repo}:v1`), `dir:${dir}`]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Pull {
  startedAt: number;
  endedAt: number;
  ok: boolean;
}

/**
 * Two loops of pulls; `kill` runs once `warmPulls` pulls succeeded (calling `killing()` just
 * before it sends the signal), and the loops go on for `afterMs` after it. Returns every pull
 * and when the kill happened.
 */
async function pullsAcrossKill(
  repo: string,
  kill: (killing: () => void) => Promise<void>,
  warmPulls = 4,
  afterMs = 5_000,
): Promise<{ results: Pull[]; killedAt: number }> {
  const results: Pull[] = [];
  let killedAt: number | undefined;
  const loop = async () => {
    while (killedAt === undefined || Date.now() - killedAt < afterMs) {
      const startedAt = Date.now();
      const ok = await pullOnce(repo);
      results.push({ startedAt, endedAt: Date.now(), ok });
    }
  };
  const loops = [loop(), loop()];
  while (results.filter((p) => p.ok).length < warmPulls) await sleep(50);
  await kill(() => {
    killedAt = Date.now();
  });
  await Promise.all(loops);
  return { results, killedAt: killedAt! };
}

function report(what: string, results: Pull[], killedAt: number) {
  const before = results.filter((p) => p.endedAt < killedAt);
  // In flight at the kill, or started within the second after it.
  const firstSecond = results.filter((p) => p.endedAt >= killedAt && p.startedAt < killedAt + 1_000);
  const after = results.filter((p) => p.startedAt >= killedAt + 1_000);
  const failed = (list: Pull[]) => list.filter((p) => !p.ok).length;
  // The figures the issue asks for, in the test log.
  console.log(
    `${what}: before the kill ${failed(before)}/${before.length} failed, first second ${failed(firstSecond)}/` +
      `${firstSecond.length}, after ${failed(after)}/${after.length}`,
  );
  return { before, after, failed };
}

beforeAll(async () => {
  temp = await createTempDir('outpost-failover-');
  const data = join(temp.path, 'main');
  main = await startOutpost(
    ['main', '--listen', '127.0.0.1:0', '--data', data],
    {
      OUTPOST_MAIN_AUTH__ENABLED: 'true',
      OUTPOST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      // The rounds alone would take 30 s to give up on a dead node: the per-second probes of
      // the nodes receiving redirects are what this test is about.
      OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '10s',
    },
    'main registry listening',
  );
  const created = await runOutpost(['main', 'cache', 'token', 'create', '--ttl', '1h', '--data', data]);
  expect(created.code, created.stderr).toBe(0);
  joinToken = created.stdout.trim();
  await api('POST', '/accounts', { type: 'organization', name: 'team' });
});
afterAll(async () => {
  for (const edge of edges.reverse()) await edge.stop('SIGKILL');
  await main?.stop();
  await temp?.remove();
});

describe('an edge node killed during a stream of skopeo pulls', () => {
  it('fails no pull after the first second when the other node of its group takes over', async () => {
    const a = await startNode('pair', 'a');
    const b = await startNode('pair', 'b');
    // Anonymous pulls from loopback go to the group by its network.
    await api('PATCH', '/content_caches/pair', { networks: ['127.0.0.0/8'] });
    await publish('team/pair');
    const { results, killedAt } = await pullsAcrossKill('team/pair', async (killing) => {
      // The node that served more blobs dies: some of every pull's blobs were its.
      const hits = async (edge: OutpostProcess) =>
        (await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="hit"}')) +
        (await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="miss"}'));
      const [victim] = (await hits(a)) >= (await hits(b)) ? [a, b] : [b, a];
      expect(await hits(victim!)).toBeGreaterThan(0);
      killing();
      await victim!.stop('SIGKILL');
    });
    // The next test's group takes the network over.
    await api('PATCH', '/content_caches/pair', { networks: [] });
    const { before, after, failed } = report('group of 2', results, killedAt);
    expect(failed(before)).toBe(0);
    expect(after.length).toBeGreaterThan(2);
    expect(failed(after)).toBe(0);
  });

  it('fails no pull after the first second when the only node dies: main serves the blobs itself', async () => {
    const solo = await startNode('solo', 'a');
    await api('PATCH', '/content_caches/solo', { networks: ['127.0.0.0/8'] });
    await publish('team/solo');
    const directBefore = await readMetric(main.url, 'outpost_main_blob_direct_total{reason="cache-down"}');
    const { results, killedAt } = await pullsAcrossKill('team/solo', (killing) => {
      killing();
      return solo.stop('SIGKILL');
    });
    const { before, after, failed } = report('group of 1', results, killedAt);
    expect(failed(before)).toBe(0);
    expect(after.length).toBeGreaterThan(2);
    expect(failed(after)).toBe(0);
    expect(await readMetric(main.url, 'outpost_main_blob_direct_total{reason="cache-down"}')).toBeGreaterThan(
      directBefore,
    );
  });
});
