/**
 * @module `GET /api/v0/meta/cluster_status`: what an operator checks first: the version
 * running, for how long, how much is stored, how many accounts and repositories, and which
 * signing keys tokens are verified with.
 */
import { readFileSync } from 'node:fs';
import type { KeyRing } from '../src/auth/keys.js';
import type { AccountStore } from './metadata/accounts.js';
import type { RegistryMetadata } from './metadata/registry.js';

export interface ClusterStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  storage: { blobs: number; bytes: number };
  users: number;
  organizations: number;
  repositories: number;
  keys: { signing: string; published: string[] };
}

export interface ClusterStatusDeps {
  registryMetadata: RegistryMetadata;
  accounts: Pick<AccountStore, 'countUsers' | 'countOrgs'>;
  keys: KeyRing;
  now: () => number;
}

/** The version in package.json: two levels up from dist/main/, one from main/ when run from source. */
function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'outpost' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this one; try the next candidate.
    }
  }
  return 'unknown';
}

export function createClusterStatus({
  registryMetadata,
  accounts,
  keys,
  now,
}: ClusterStatusDeps): () => Promise<ClusterStatus> {
  const version = readVersion();
  const startedAt = now();
  return async function clusterStatus() {
    const storage = await registryMetadata.blobTotals();
    return {
      version,
      startedAt: new Date(startedAt).toISOString(),
      uptimeSeconds: Math.floor((now() - startedAt) / 1000),
      storage,
      users: await accounts.countUsers(),
      organizations: await accounts.countOrgs(),
      repositories: await registryMetadata.countRepositories(),
      keys: { signing: keys.signingKey.kid, published: keys.jwks().keys.map((k) => k.kid) },
    };
  };
}
