/**
 * An edge main cannot reach (outbound-only: its public URL refuses main's probes) is kept in use
 * by its heartbeats, and two replicas of main on one PostgreSQL (real processes) judge it the
 * same way although its heartbeats reach only one of them: each heartbeat is kept in the
 * database and every replica reads them at its probe round. When the heartbeats stop, both
 * replicas stop redirecting to the edge once the last one is stale (15 s).
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

// The heartbeat's freshness (15 s), plus a probe round (1 s here) and the replicas' start.
const FRESHNESS_AND_ROUNDS_MS = 30_000;

let world: ReplicasWithEdge;
let set: ReplicasWithEdge['set'];
let publicUrl: string;
let digest: string;

beforeAll(async () => {
  world = await startReplicasWithEdge();
  ({ set, publicUrl, digest } = world);
});
afterAll(async () => {
  await world?.stop();
});

interface NodeView {
  host: string;
  health: { up: boolean; lastError?: string; heartbeatAt?: number };
}

/** The eu node as replica `index` sees it. */
async function nodeSeenBy(index: number): Promise<NodeView | undefined> {
  const res = await fetch(`${set.replicas[index]!.url}/api/v0/content_caches`, {
    headers: { Authorization: REPLICAS_ADMIN },
  });
  const caches = (await res.json()) as Array<{ name: string; nodes: NodeView[] }>;
  return caches.find((c) => c.name === 'eu')?.nodes[0];
}

/** Where replica `index` sends alice for the blob (the Location's origin), or its status. */
async function whereTo(index: number): Promise<string> {
  const replica = set.replicas[index]!;
  const token = await tokenFor(replica.url, ALICE, [`repository:${ALICE_REPO}:pull`]);
  const res = await fetch(`${replica.url}/v2/${ALICE_REPO}/blobs/${digest}`, {
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status === 307 ? new URL(res.headers.get('location')!).origin : String(res.status);
}

describe('the heartbeats of an edge main cannot reach, on two replicas', () => {
  it('keep it in use on both replicas, though only the first receives them and no probe reaches it', async () => {
    for (const index of [0, 1]) {
      // Probed and refused, and up all the same: only the heartbeat can say so.
      const node = await waitFor(async () => {
        const seen = await nodeSeenBy(index);
        return seen?.health.lastError !== undefined && seen.health.heartbeatAt !== undefined && seen;
      }, `replica ${index} to have probed the edge and to know its heartbeat`);
      expect(node).toMatchObject({ host: publicUrl, health: { up: true } });
      expect(await whereTo(index)).toBe(publicUrl);
    }
    // Redirects make each replica probe the node every second: the heartbeat still decides.
    for (const index of [1, 0, 1]) expect(await whereTo(index)).toBe(publicUrl);
  });

  it('stop sending pulls to it on both replicas once its heartbeats stop', async () => {
    await world.stopEdge();
    for (const index of [0, 1])
      await waitFor(
        async () => (await whereTo(index)) === '200',
        `replica ${index} to serve alice itself`,
        FRESHNESS_AND_ROUNDS_MS,
      );
    for (const index of [0, 1]) expect((await nodeSeenBy(index))?.health.up).toBe(false);
  });
});
