/**
 * @module Every kind of job main runs, built from what main has open. service.ts registers this
 * list with the runner, and `outpost main jobs start` checks the parameters with the same kinds,
 * so a new kind is one more line here (and its dependencies in `MainJobDeps`).
 */
import type { Logger } from '../../../src/log/logger.js';
import type { BlobStore } from '../../../src/store/blob-store.js';
import type { MainConfig } from '../../config.js';
import type { RegistryMetadata } from '../../metadata/registry.js';
import type { Registry } from '../../registry/registry.js';
import type { JobKind } from '../types.js';
import type { Accounts } from '../../accounts/accounts.js';
import { createLdapSyncJob } from '../../directory/ldap-sync.js';
import type { SettingsStore } from '../../metadata/settings.js';
import { createPruneJobKind } from '../../pruning/prune-job.js';
import type { Pruning } from '../../pruning/pruner.js';
import { createScanJobKind, type ScanJobDeps } from '../../scans/scan-job.js';
import { gcJobKind } from './gc-job.js';
import { purgeUploadsJobKind } from './purge-uploads-job.js';
import { createWarmCacheJobKind, type WarmCacheJobDeps } from '../../caches/warm-cache-job.js';

export interface MainJobDeps {
  config: Readonly<Pick<MainConfig, 'storage'>>;
  registryMetadata: RegistryMetadata;
  store: BlobStore;
  registry: Pick<Registry, 'uploads'>;
  pruning: Pick<Pruning, 'run' | 'repositoriesWithPolicies'>;
  accounts: Accounts;
  settings: SettingsStore;
  logger: Logger;
  now: () => number;
  /** The content caches and the redirect decision, for `warm-cache` (absent: the kind is not offered). */
  warmCache?: Omit<WarmCacheJobDeps, 'metadata'>;
  /** The scans owner, the scan queue's enqueue and the vulnerability database, for the `scan` kind. */
  scans: Pick<ScanJobDeps, 'store' | 'enqueue' | 'vulndb' | 'concurrency'>;
}

export function mainJobKinds(deps: MainJobDeps): JobKind[] {
  const { config, registryMetadata, store, registry, pruning, accounts, settings, logger, now } = deps;
  return [
    gcJobKind({ metadata: registryMetadata, store, now, defaultGraceMs: config.storage.gcGraceMs, logger }),
    purgeUploadsJobKind({
      purgeAbandoned: (maxAgeMs) => registry.uploads.purgeAbandoned(maxAgeMs),
      defaultMaxAgeMs: config.storage.uploadMaxAgeMs,
    }),
    createPruneJobKind({ pruning, repositoriesWithPolicies: () => pruning.repositoriesWithPolicies() }),
    createLdapSyncJob({ accounts, settings }),
    ...(deps.warmCache ? [createWarmCacheJobKind({ ...deps.warmCache, metadata: registryMetadata })] : []),
    createScanJobKind({ ...deps.scans, registry: registryMetadata, now }),
  ];
}
