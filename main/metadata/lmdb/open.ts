/**
 * @module The embedded backend: every owner over one LMDB environment in `<data>/db`, so that
 * owners that change together (a push and its event, an account and its namespace's
 * repositories, a repository and its grants) share a transaction; keys are files in `<data>/keys`.
 */
import { join } from 'node:path';
import type { Metadata } from '../metadata.js';
import { createMemoryThrottleStore } from '../memory/throttle.js';
import { createLmdbAccountStore, lmdbCredentialRevoker, removeRepositoryGrants } from './accounts.js';
import { createLmdbCacheStore } from './caches.js';
import { createLmdbAuditStore } from './audit.js';
import { createSingleProcessCoordinator } from './cluster.js';
import { openMainEnvironment } from './environment.js';
import { createLmdbJobStore } from './jobs.js';
import { createFileKeyStore } from './keys.js';
import { createLmdbPruningStore, removeRepositoryPruning, removeTagPulls } from './pruning.js';
import { createLmdbRegistryMetadata } from './registry.js';
import { createLmdbScanStore, removeRepositoryScanSettings } from './scans.js';
import { createLmdbSessionStore } from './sessions.js';
import { createLmdbSettingsStore } from './settings.js';
import { createLmdbVulnDbStore } from './vulndb.js';

/** `dataDir` must exist and be prepared (src/config/data-dir.ts). */
export function openEmbeddedMetadata(dataDir: string): Metadata {
  const env = openMainEnvironment(join(dataDir, 'db'));
  const { root } = env;
  const coordinator = createSingleProcessCoordinator();
  return {
    backend: 'embedded',
    description: `LMDB in ${join(dataDir, 'db')}`,
    // Deleting a repository takes its team grants, pruning records and scan settings with it, in the same
    // transaction.
    registry: createLmdbRegistryMetadata(root, {
      onRepositoryDeleted: (name) => {
        removeRepositoryGrants(root, name);
        removeRepositoryPruning(root, name);
        removeRepositoryScanSettings(root, name);
      },
      // A tag's pull statistics go with it, in the same transaction.
      onTagDeleted: (repo, tag) => removeTagPulls(root, repo, tag),
    }),
    accounts: createLmdbAccountStore(root),
    settings: createLmdbSettingsStore(root),
    sessions: createLmdbSessionStore(root),
    caches: createLmdbCacheStore(root),
    pruning: createLmdbPruningStore(root),
    // One process: failed sign-ins are counted in memory, as before there were stores.
    throttle: createMemoryThrottleStore(),
    keys: createFileKeyStore(join(dataDir, 'keys')),
    audit: createLmdbAuditStore(root),
    coordinator,
    jobs: createLmdbJobStore(root),
    scans: createLmdbScanStore(root),
    vulndb: createLmdbVulnDbStore(root),
    revokeCredentials: lmdbCredentialRevoker(root),
    async close() {
      await coordinator.close();
      await env.close();
    },
  };
}
