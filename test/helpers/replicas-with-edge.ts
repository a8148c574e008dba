/**
 * Two replicas of main on one PostgreSQL (real processes behind nginx) and an edge `eu` joined to
 * the first replica and kept up by its heartbeats alone: its public URL refuses main's probes, as
 * for an edge behind a NAT, so pulls are redirected to a URL where nothing listens. `alice` picks
 * `eu` and has pushed `alice/app:v1`. For the tests of what replicas agree on about an edge.
 */
import { expect } from 'vitest';
import { apiOk, pushImageAs } from './api-client.js';
import { basicAuth } from './auth-http.js';
import { startTestEdge, type TestEdge } from './edge.js';
import { closedPortUrl } from './health-server.js';
import { runOutpost } from './outpost-processes.js';
import { startPostgres } from './postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from './replicas.js';
import { createTempDir } from './temp-dir.js';

export const REPLICAS_ADMIN = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
export const ALICE = basicAuth('alice', 'alice-password-1');
export const ALICE_REPO = 'alice/app';

export interface ReplicasWithEdge {
  readonly set: ReplicaSet;
  /** The edge's public URL (where the replicas redirect alice's pulls). */
  readonly publicUrl: string;
  /** The config blob of `alice/app:v1`. */
  readonly digest: string;
  /** Stops the edge's heartbeats for good (the edge process ends). */
  stopEdge(): Promise<void>;
  stop(): Promise<void>;
}

/** `env`: the replicas' settings (`OUTPOST_MAIN_*`); the probe runs every second. */
export async function startReplicasWithEdge(env: Record<string, string> = {}): Promise<ReplicasWithEdge> {
  const postgres = await startPostgres();
  const temp = await createTempDir('outpost-replicas-edge-');
  let set: ReplicaSet | undefined;
  let edge: TestEdge | undefined;
  const stopEdge = async () => {
    await edge?.stop();
    edge = undefined;
  };
  const stop = async () => {
    await stopEdge();
    await set?.stop();
    await temp.remove();
    await postgres.remove();
  };
  try {
    const databaseUrl = await postgres.createDatabase();
    set = await startReplicaSet({
      count: 2,
      databaseUrl,
      env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1s', ...env },
    });
    const first = set.replicas[0]!;
    const created = await runOutpost([
      ...['main', 'cache', 'token', 'create', '--ttl', '1h', '--data', temp.path],
      ...['--database', databaseUrl, '--secret-key-file', set.secretKeyFile],
    ]);
    expect(created.code, created.stderr).toBe(0);
    const publicUrl = await closedPortUrl();
    // Joined and beating to the first replica only (its own URL, not the balancer's).
    edge = await startTestEdge({
      name: 'eu',
      upstream: first.url,
      issuer: first.url,
      flags: { joinToken: created.stdout.trim(), publicUrl },
      env: { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '500ms' },
    });
    expect(await edge.service.joined).toBe('joined');
    await apiOk(first.url, 'POST', '/accounts', 201, {
      auth: REPLICAS_ADMIN,
      body: { name: 'alice', password: 'alice-password-1' },
    });
    await apiOk(first.url, 'POST', '/accounts/alice/settings', 200, {
      auth: REPLICAS_ADMIN,
      body: { defaultContentCache: 'eu' },
    });
    const digest = (await pushImageAs(set.url, ALICE, ALICE_REPO, 'v1')).config.digest;
    return { set, publicUrl, digest, stopEdge, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
