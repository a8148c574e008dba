import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { CLUSTER_MIGRATIONS } from '../../../main/metadata/postgres/cluster-schema.js';
import { createPostgresCoordinator } from '../../../main/metadata/postgres/cluster.js';
import { ALL_TOPICS, type ClusterCoordinator } from '../../../main/metadata/cluster.js';
import { startSingletonWork } from '../../../main/cluster/singleton-work.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => {});
});

/** `count` replicas' coordinators over one fresh database. */
async function replicas(count: number): Promise<ClusterCoordinator[]> {
  const url = await server.createDatabase();
  const result: ClusterCoordinator[] = [];
  for (let i = 0; i < count; i++) {
    const db = await PostgresDatabase.connect(url, { maxConnections: 3 });
    opened.push(db);
    if (i === 0) await applyMigrations(db, CLUSTER_MIGRATIONS);
    const coordinator = await createPostgresCoordinator(db);
    opened.push(coordinator);
    result.push(coordinator);
  }
  return result;
}

const quiet = createLogger({ level: 'error', write: () => {} });

describe('leases on PostgreSQL', () => {
  it('gives a lease to exactly one of several replicas asking at once, and renews it for its holder only', async () => {
    const all = await replicas(3);
    const granted = await Promise.all(all.map((c, i) => c.acquireLease('gc', `r${i}`, 10_000)));
    expect(granted.filter(Boolean)).toHaveLength(1);
    const holder = granted.indexOf(true);
    expect(await all[holder]!.acquireLease('gc', `r${holder}`, 10_000)).toBe(true);
    const other = (holder + 1) % 3;
    expect(await all[other]!.acquireLease('gc', `r${other}`, 10_000)).toBe(false);
    // Leases are per name.
    expect(await all[other]!.acquireLease('purge', `r${other}`, 10_000)).toBe(true);
  });

  it('lets another replica take a lease over once it expired, and at once when released', async () => {
    const [a, b] = await replicas(2);
    expect(await a!.acquireLease('probe', 'a', 300)).toBe(true);
    expect(await b!.acquireLease('probe', 'b', 300)).toBe(false);
    await waitFor(() => b!.acquireLease('probe', 'b', 300), 'b to take the expired lease', 5_000);
    expect(await a!.acquireLease('probe', 'a', 300)).toBe(false);
    await b!.releaseLease('probe', 'b');
    expect(await a!.acquireLease('probe', 'a', 300)).toBe(true);
  });

  it('moves periodic work to another replica when its holder dies, within the lease time', async () => {
    const [a, b] = await replicas(2);
    const runs: string[] = [];
    const work = (holder: string, coordinator: ClusterCoordinator) =>
      startSingletonWork({
        name: 'purge',
        holder,
        coordinator,
        intervalMs: 50,
        leaseMs: 600,
        logger: quiet,
        run: async () => {
          runs.push(holder);
        },
      });
    // A replica that dies never releases its lease: "a" here cannot.
    const onA = work('a', { ...a!, releaseLease: async () => {} });
    await waitFor(() => onA.holding, 'a to hold the lease', 5_000);
    const onB = work('b', b!);
    await waitFor(() => runs.filter((r) => r === 'a').length >= 3, 'a to run the work three times', 5_000);
    expect(runs).not.toContain('b');
    // The bound: lease (600 ms) plus one check (200 ms), with room for a loaded machine.
    await onA.stop();
    await waitFor(() => onB.holding, 'b to take the work over', 5_000);
    await waitFor(() => runs.includes('b'), 'b to run the work', 5_000);
    await onB.stop();
  });
});

describe('invalidation over LISTEN/NOTIFY', () => {
  it('tells every replica, the publisher included, which topic changed', async () => {
    const [a, b] = await replicas(2);
    const heard: Record<string, string[]> = { a: [], b: [] };
    a!.subscribe((t) => heard.a!.push(t));
    b!.subscribe((t) => heard.b!.push(t));
    await a!.publish('user-settings:alice');
    await waitFor(() => heard.a!.length === 1 && heard.b!.length === 1, 'both replicas to hear the topic', 5_000);
    expect(heard).toEqual({ a: ['user-settings:alice'], b: ['user-settings:alice'] });
  });

  it('tells subscribers to drop everything after the connection to PostgreSQL was lost', async () => {
    const [a] = await replicas(1);
    const heard: string[] = [];
    a!.subscribe((t) => heard.push(t));
    server.stopServer();
    server.startServer();
    await waitFor(() => heard.includes(ALL_TOPICS), 'the gap to be reported', 20_000);
    await a!.publish('caches');
    await waitFor(() => heard.includes('caches'), 'a topic after the reconnect', 5_000);
  });
});

describe('heartbeats', () => {
  it('lists replicas with their last heartbeat and marks the silent ones down', async () => {
    const [a] = await replicas(1);
    const base = { version: '1.0.0', startedAt: Date.now() };
    await a!.heartbeat({ id: 'r1', url: 'http://127.0.0.1:1', ...base });
    await a!.heartbeat({ id: 'r2', url: 'http://127.0.0.1:2', ...base, startedAt: base.startedAt + 1 });
    let listed = await a!.replicas(60_000);
    expect(listed.map((r) => [r.id, r.up])).toEqual([
      ['r2', true],
      ['r1', true],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await a!.heartbeat({ id: 'r1', url: 'http://127.0.0.1:1', ...base });
    listed = await a!.replicas(200);
    expect(listed.map((r) => [r.id, r.up])).toEqual([
      ['r2', false],
      ['r1', true],
    ]);
    await a!.leave('r2');
    expect((await a!.replicas(200)).map((r) => r.id)).toEqual(['r1']);
  });
});
