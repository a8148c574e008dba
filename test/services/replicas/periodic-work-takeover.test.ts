/**
 * Periodic work that runs once per cluster (purges) runs on the replica holding its lease in
 * PostgreSQL (main/cluster/singleton-work.ts). When that replica is killed outright it cannot
 * give the lease up; the lease (15 s) expires and one of the survivors takes the work over,
 * within the lease and one renewal period, and says so in its log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutpostProcess } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { waitFor } from '../../helpers/wait-for.js';

let postgres: TestPostgres;
let set: ReplicaSet;

beforeAll(async () => {
  postgres = await startPostgres();
  set = await startReplicaSet({ count: 3, databaseUrl: await postgres.createDatabase() });
});
afterAll(async () => {
  await set?.stop();
  await postgres?.remove();
});

const WORK = 'session-purge';
/** The lease (15 s), a renewal period (5 s) and room for a loaded machine. */
const TAKEOVER_WITHIN_MS = 45_000;

/** How many times this replica logged taking the work over. */
function takeovers(replica: OutpostProcess): number {
  return replica
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"took over periodic work"') && line.includes(`"work":"${WORK}"`)).length;
}

describe('the replica holding the periodic-work lease is killed', () => {
  it('another replica takes the work over once the lease expires', async () => {
    // The three start together; exactly one of them wins the lease.
    const holder = await waitFor(() => {
      const holding = set.replicas.filter((r) => takeovers(r) > 0);
      return holding.length === 1 ? holding[0] : undefined;
    }, `one replica to take ${WORK}`);
    const survivors = set.replicas.filter((r) => r !== holder);
    expect(survivors.map(takeovers)).toEqual([0, 0]);

    await holder.stop('SIGKILL');

    const successor = await waitFor(
      () => survivors.find((r) => takeovers(r) > 0),
      `a survivor to log "took over periodic work" for ${WORK}`,
      TAKEOVER_WITHIN_MS,
    );
    // One lease, one holder: the other survivor did not take it too.
    expect(survivors.filter((r) => r !== successor).map(takeovers)).toEqual([0]);
  });
});
