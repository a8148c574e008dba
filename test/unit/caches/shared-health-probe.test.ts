/**
 * Replicas share one prober (main/caches/health-probe.ts `shared`): the replica holding the
 * probe's lease probes the edges and records what it saw in the cache store; the others take
 * that record as their view without probing, so an edge gets one probe per round whatever the
 * number of replicas. Two probes over one real store (LMDB) stand for two replicas.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { HealthProbe } from '../../../main/caches/health-probe.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import type { CacheStore } from '../../../main/metadata/caches.js';
import { silentLogger } from '../../../src/log/logger.js';
import { closedPortUrl } from '../../helpers/health-server.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let env: MainEnvironment;
let store: CacheStore;
let dispatcher: Agent;

beforeEach(async () => {
  temp = await createTempDir('outpost-shared-probe-');
  env = openMainEnvironment(join(temp.path, 'db'));
  store = createLmdbCacheStore(env.root);
  dispatcher = new Agent();
});
afterEach(async () => {
  await dispatcher.close();
  await env.close();
  await temp.remove();
});

function replica(holdsLease: () => boolean, changes: Array<[string, boolean]> = []): HealthProbe {
  return new HealthProbe({
    caches: () => store.listCaches(),
    dispatcher,
    logger: silentLogger,
    intervalMs: 60_000,
    timeoutMs: 2_000,
    onChange: (name, up) => void changes.push([name, up]),
    shared: { store, lease: async () => holdsLease() },
  });
}

describe('one prober for the cluster', () => {
  it('lets the lease holder probe and record, and the others take its record as their view', async () => {
    await store.createCache('eu', { host: await closedPortUrl(), networks: [], createdAt: 0 });
    let holder: 'a' | 'b' = 'a';
    const seenByB: Array<[string, boolean]> = [];
    const a = replica(() => holder === 'a');
    const b = replica(() => holder === 'b', seenByB);
    for (let round = 0; round < 3; round++) await a.probeAll();
    expect(a.isUp('eu')).toBe(false);
    expect((await store.listHealth()).get('eu/default')).toMatchObject({ up: false, failures: 3 });
    // b never probed: it reads a's record, down included, and reports the change once.
    await b.probeAll();
    expect(b.health('eu')).toMatchObject({ up: false, lastError: expect.any(String) });
    expect(seenByB).toEqual([['eu', false]]);

    // The lease moves to b (a died): b probes from where the record left off, a reads b's record.
    holder = 'b';
    await b.probeAll();
    expect((await store.listHealth()).get('eu/default')).toMatchObject({ up: false, failures: 4 });
    await a.probeAll();
    expect(a.health('eu')).toMatchObject({ up: false });
  });

  it('probes and records nothing while the lease cannot be asked (the database is down)', async () => {
    await store.createCache('eu', { host: await closedPortUrl(), networks: [], createdAt: 0 });
    const probe = new HealthProbe({
      caches: () => store.listCaches(),
      dispatcher,
      logger: silentLogger,
      intervalMs: 60_000,
      timeoutMs: 2_000,
      shared: {
        store,
        lease: async () => {
          throw new Error('database unavailable');
        },
      },
    });
    await probe.probeAll();
    expect(probe.isUp('eu')).toBe(true);
    expect(await store.listHealth()).toEqual(new Map());
  });
});

describe('heartbeats shared through the store', () => {
  it('keep a node main cannot reach up on a replica that never received them, until stale for both', async () => {
    await store.createCache('eu', { host: await closedPortUrl(), networks: [], createdAt: 0 });
    let now = 1_000_000;
    const replicaAt = (holdsLease: boolean) =>
      new HealthProbe({
        caches: () => store.listCaches(),
        dispatcher,
        logger: silentLogger,
        intervalMs: 60_000,
        timeoutMs: 2_000,
        now: () => now,
        heartbeatStaleMs: 15_000,
        shared: { store, lease: async () => holdsLease },
        heartbeats: store,
      });
    const a = replicaAt(true);
    const b = replicaAt(false);
    // b also reads a's first record: up after one failure (never reached; one failure is not enough).
    await a.probeAll();
    await b.probeAll();
    for (let round = 1; round < 3; round++) {
      now += 1_000;
      await a.probeAll();
    }
    await b.probeAll();
    expect(b.isNodeUp('eu/default')).toBe(false);

    // Only a receives the heartbeat; b takes it at its next round, with the edge's stats.
    await a.heartbeat('eu/default', true, { hits: 3, misses: 1 });
    expect(b.isNodeUp('eu/default')).toBe(false);
    await b.probeAll();
    expect(b.nodeHealth('eu/default')).toMatchObject({
      up: true,
      heartbeatAt: now,
      lastError: expect.any(String),
      stats: { hits: 3, misses: 1 },
    });
    expect(a.isNodeUp('eu/default')).toBe(true);

    // Judged from the same reception time, the heartbeat goes stale on both at once.
    now += 15_001;
    expect(a.isNodeUp('eu/default')).toBe(false);
    expect(b.isNodeUp('eu/default')).toBe(false);
  });

  it('say a node is down on every replica when its edge reports itself unhealthy', async () => {
    await store.createCache('eu', { host: await closedPortUrl(), networks: [], createdAt: 0 });
    const options = {
      caches: () => store.listCaches(),
      dispatcher,
      logger: silentLogger,
      intervalMs: 60_000,
      timeoutMs: 2_000,
      heartbeats: store,
    };
    const a = new HealthProbe(options);
    const b = new HealthProbe(options);
    await a.heartbeat('eu/default', false);
    expect(b.isNodeUp('eu/default')).toBe(true);
    await b.probeAll();
    expect(b.isNodeUp('eu/default')).toBe(false);
  });
});
