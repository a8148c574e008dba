/**
 * @module All of main's metadata, one owner per table family, from one backend: the embedded
 * LMDB environment (the default, what `npm start` runs) or a PostgreSQL database shared by any
 * number of replicas. Nothing outside main/metadata/ knows which one it got.
 */
import type { AccountStore } from './accounts.js';
import type { AuditStore } from './audit.js';
import type { CacheStore } from './caches.js';
import type { ClusterCoordinator } from './cluster.js';
import type { JobStore } from './jobs.js';
import type { KeyStore } from './keys.js';
import type { PruningStore } from './pruning.js';
import type { RegistryMetadata } from './registry.js';
import type { ScanStore } from './scans.js';
import type { SessionStore } from './sessions.js';
import type { SettingsStore } from './settings.js';
import type { ThrottleStore } from './throttle.js';
import type { VulnDbStore } from './vulndb.js';

export interface Metadata {
  /** `embedded` is one process over LMDB; `postgres` may be one replica of several. */
  readonly backend: 'embedded' | 'postgres';
  /** Where the metadata lives, without credentials (for logs and cluster status). */
  readonly description: string;
  readonly registry: RegistryMetadata;
  readonly accounts: AccountStore;
  readonly settings: SettingsStore;
  readonly sessions: SessionStore;
  readonly caches: CacheStore;
  readonly pruning: PruningStore;
  readonly throttle: ThrottleStore;
  readonly keys: KeyStore;
  readonly audit: AuditStore;
  readonly coordinator: ClusterCoordinator;
  /** Background jobs, their logs and schedules (main/jobs/). */
  readonly jobs: JobStore;
  /** Image scans and their queue (main/scans/). */
  readonly scans: ScanStore;
  /** The imported OSV advisories, one generation at a time (main/vulndb/). */
  readonly vulndb: VulnDbStore;
  /** Ends a user's sessions and refresh tokens in a transaction of their own; returns how many. */
  revokeCredentials(user: string): Promise<number>;
  close(): Promise<void>;
}
