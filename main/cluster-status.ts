/**
 * @module `GET /api/v0/meta/cluster_status`: what an operator checks first: the version
 * running, for how long, how much is stored, how many accounts and repositories, which
 * signing keys tokens are verified with, and, as DTR's did, the replicas (by heartbeat), the
 * database and the blob store with their health. With the database down the answer still
 * comes, saying so, without the counts it cannot make.
 */
import { readVersion } from '../src/config/version.js';
import type { KeyRing } from '../src/auth/keys.js';
import type { AccountStore } from './metadata/accounts.js';
import type { RegistryMetadata } from './metadata/registry.js';
import type { ReplicaView } from './metadata/cluster.js';

export interface BackendHealth {
  /** Where it is, without credentials. */
  location: string;
  healthy: boolean;
  /** Why it is not, when it is not. */
  error?: string;
}

export interface ReplicaStatus {
  id: string;
  url: string;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  up: boolean;
  /** The replica that answered this request. */
  self: boolean;
}

export interface ClusterStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  /** Absent while the database is unavailable. */
  storage?: { blobs: number; bytes: number };
  users?: number;
  organizations?: number;
  repositories?: number;
  keys: { signing: string; published: string[] };
  replicas: ReplicaStatus[];
  database: BackendHealth;
  blobStore: BackendHealth;
}

export interface ClusterStatusDeps {
  registryMetadata: RegistryMetadata;
  accounts: Pick<AccountStore, 'countUsers' | 'countOrgs'>;
  keys: KeyRing;
  now: () => number;
  /** This replica's id. */
  replicaId: string;
  replicas: () => Promise<ReplicaView[]>;
  /** Each backend's location and a cheap round trip to it (throws when it is unreachable). */
  database: { location: string; ping: () => Promise<void> };
  blobStore: { location: string; ping: () => Promise<void> };
}

async function healthOf(backend: { location: string; ping: () => Promise<void> }): Promise<BackendHealth> {
  try {
    await backend.ping();
    return { location: backend.location, healthy: true };
  } catch (err) {
    return { location: backend.location, healthy: false, error: (err as Error).message };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export { readVersion };

export function createClusterStatus(deps: ClusterStatusDeps): () => Promise<ClusterStatus> {
  const { registryMetadata, accounts, keys, now } = deps;
  const version = readVersion();
  const startedAt = now();
  return async function clusterStatus() {
    const [database, blobStore] = await Promise.all([healthOf(deps.database), healthOf(deps.blobStore)]);
    const base = {
      version,
      startedAt: iso(startedAt),
      uptimeSeconds: Math.floor((now() - startedAt) / 1000),
      keys: { signing: keys.signingKey.kid, published: keys.jwks().keys.map((k) => k.kid) },
      database,
      blobStore,
    };
    if (!database.healthy) return { ...base, replicas: [] };
    const [storage, users, organizations, repositories, replicas] = await Promise.all([
      registryMetadata.blobTotals(),
      accounts.countUsers(),
      accounts.countOrgs(),
      registryMetadata.countRepositories(),
      deps.replicas(),
    ]);
    return {
      ...base,
      storage,
      users,
      organizations,
      repositories,
      replicas: replicas.map((r) => ({
        id: r.id,
        url: r.url,
        version: r.version,
        startedAt: iso(r.startedAt),
        lastSeenAt: iso(r.lastSeenAt),
        up: r.up,
        self: r.id === deps.replicaId,
      })),
    };
  };
}
