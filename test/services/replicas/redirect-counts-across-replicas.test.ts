/**
 * The admin dashboard's redirects with two replicas of main on one PostgreSQL (real processes
 * behind nginx): each replica decides some of alice's pulls, and the API's `usage` shows exactly
 * the redirects sent, whichever replica sent them, also after one replica restarted. (Each replica
 * writes its own series of counts, here every 200 ms; with the count carried by heartbeats, which
 * reach one replica only, the figures went up and down and a drop counted as a restart.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, pushImageAs } from '../../helpers/api-client.js';
import { basicAuth, tokenFor } from '../../helpers/auth-http.js';
import { startTestEdge, type TestEdge } from '../../helpers/edge.js';
import { closedPortUrl } from '../../helpers/health-server.js';
import { runOutpost } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const ADMIN = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
const ALICE = basicAuth('alice', 'alice-password-1');
const REPO = 'alice/app';
const SAMPLE_INTERVAL = '200ms';

let postgres: TestPostgres;
let set: ReplicaSet;
let temp: TempDir;
let edge: TestEdge | undefined;
let publicUrl: string;
let digest: string;
/** The redirects to the edge the replicas answered, as the test counted them. */
let sent = 0;

beforeAll(async () => {
  postgres = await startPostgres();
  const databaseUrl = await postgres.createDatabase();
  set = await startReplicaSet({
    count: 2,
    databaseUrl,
    env: {
      OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1s',
      OUTPOST_MAIN_CACHES__REDIRECT_SAMPLE_INTERVAL: SAMPLE_INTERVAL,
    },
  });
  temp = await createTempDir('outpost-redirect-counts-');
  const [first] = set.replicas;
  const created = await runOutpost([
    'main',
    'cache',
    'token',
    'create',
    '--ttl',
    '1h',
    '--data',
    temp.path,
    '--database',
    databaseUrl,
    '--secret-key-file',
    set.secretKeyFile,
  ]);
  expect(created.code, created.stderr).toBe(0);
  // The edge is kept up by its heartbeats (to the first replica only): pulls are redirected to its
  // public URL, where nothing listens; the test counts the redirects, not the downloads.
  publicUrl = await closedPortUrl();
  edge = await startTestEdge({
    name: 'eu',
    upstream: first!.url,
    issuer: first!.url,
    flags: { joinToken: created.stdout.trim(), publicUrl },
    env: { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '500ms' },
  });
  expect(await edge.service.joined).toBe('joined');
  await apiOk(first!.url, 'POST', '/accounts', 201, {
    auth: ADMIN,
    body: { name: 'alice', password: 'alice-password-1' },
  });
  await apiOk(first!.url, 'POST', '/accounts/alice/settings', 200, {
    auth: ADMIN,
    body: { defaultContentCache: 'eu' },
  });
  digest = (await pushImageAs(set.url, ALICE, REPO, 'v1')).config.digest;
});
afterAll(async () => {
  await edge?.stop();
  await set?.stop();
  await temp?.remove();
  await postgres?.remove();
});

/** Alice's pull of the blob from `base` (a replica or the balancer): where it was sent, a redirect counted. */
async function pull(base: string): Promise<string> {
  const token = await tokenFor(base, ALICE, [`repository:${REPO}:pull`]);
  const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, {
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  if (res.status !== 307) return String(res.status);
  sent++;
  return new URL(res.headers.get('location')!).origin;
}

async function pulls(base: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await pull(base)).toBe(publicUrl);
}

/** Replica `index` sends alice's pulls to the edge (each try that did is counted). */
const redirecting = (index: number) =>
  waitFor(async () => (await pull(set.replicas[index]!.url)) === publicUrl, `replica ${index} to redirect to the edge`);

type Usage = { lastHour: { redirects: number }; lastDay: { redirects: number } };
/** The redirects of the last hour and day, for the cache and its node, as `base` shows them. */
async function redirectsShownBy(base: string): Promise<number[]> {
  const res = await fetch(`${base}/api/v0/content_caches/eu`, { headers: { Authorization: ADMIN } });
  const { usage } = (await res.json()) as { usage: Usage & { nodes: Usage[] } };
  return [usage, usage.nodes[0]!].flatMap((u) => [u.lastHour.redirects, u.lastDay.redirects]);
}

/** Until the figures reach what was sent; then, a few sample intervals later, both replicas still show it. */
async function expectExactly(count: number): Promise<void> {
  await waitFor(async () => (await redirectsShownBy(set.url)).every((n) => n === count), `${count} redirects shown`);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  for (const replica of set.replicas) expect(await redirectsShownBy(replica.url)).toEqual([count, count, count, count]);
}

describe("the dashboard's redirects with two replicas", () => {
  it('are exactly the redirects both replicas sent, in rounds between their samples', async () => {
    await redirecting(0);
    await redirecting(1);
    await pulls(set.replicas[0]!.url, 3);
    await pulls(set.replicas[1]!.url, 2);
    await expectExactly(sent);
    await pulls(set.replicas[1]!.url, 4);
    await pulls(set.url, 4);
    await pulls(set.replicas[0]!.url, 1);
    await expectExactly(sent);
    expect(sent).toBeGreaterThanOrEqual(14);
  });

  it('stay exact when a replica restarts (its counts start again from 0 as a new series)', async () => {
    const before = sent;
    await set.replicas[1]!.stop();
    await set.startReplica(1);
    await redirecting(1);
    await pulls(set.replicas[1]!.url, 2);
    await pulls(set.replicas[0]!.url, 2);
    await expectExactly(sent);
    expect(sent).toBeGreaterThanOrEqual(before + 5);
  });
});
