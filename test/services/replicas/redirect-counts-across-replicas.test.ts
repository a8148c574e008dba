/**
 * The admin dashboard's redirects with two replicas of main on one PostgreSQL (real processes
 * behind nginx): each replica decides some of alice's pulls, and the API's `usage` shows exactly
 * the redirects sent, whichever replica sent them, also after one replica restarted. (Each replica
 * writes its own series of counts, here every 200 ms; with the count carried by heartbeats, which
 * reach one replica only, the figures went up and down and a drop counted as a restart.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../../helpers/auth-http.js';
import {
  ALICE,
  ALICE_REPO,
  REPLICAS_ADMIN,
  startReplicasWithEdge,
  type ReplicasWithEdge,
} from '../../helpers/replicas-with-edge.js';
import { waitFor } from '../../helpers/wait-for.js';

const SAMPLE_INTERVAL = '200ms';

/** The redirects to the edge the replicas answered, as the test counted them. */
let sent = 0;

let world: ReplicasWithEdge;
let set: ReplicasWithEdge['set'];
let publicUrl: string;
let digest: string;

beforeAll(async () => {
  world = await startReplicasWithEdge({ OUTPOST_MAIN_CACHES__REDIRECT_SAMPLE_INTERVAL: SAMPLE_INTERVAL });
  ({ set, publicUrl, digest } = world);
});
afterAll(async () => {
  await world?.stop();
});

/** Alice's pull of the blob from `base` (a replica or the balancer): where it was sent, a redirect counted. */
async function pull(base: string): Promise<string> {
  const token = await tokenFor(base, ALICE, [`repository:${ALICE_REPO}:pull`]);
  const res = await fetch(`${base}/v2/${ALICE_REPO}/blobs/${digest}`, {
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
  const res = await fetch(`${base}/api/v0/content_caches/eu`, { headers: { Authorization: REPLICAS_ADMIN } });
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
