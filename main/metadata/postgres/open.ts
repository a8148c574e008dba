/**
 * @module The PostgreSQL backend: one pool for every owner, the schema migrated at start (safe
 * when replicas start together), the signing keys sealed with the key-encryption key, and the
 * coordinator that lets replicas share leases and invalidations.
 */
import type { Logger } from '../../../src/log/logger.js';
import type { Metadata } from '../metadata.js';
import { namespaceOf } from '../../accounts/access-control.js';
import { ACCOUNTS_MIGRATIONS } from './accounts-schema.js';
import { createPostgresAccountStore } from './accounts.js';
import { lockNamespaceAccount, removeRepositoryGrants } from './accounts-rows.js';
import { AUDIT_MIGRATIONS } from './audit-schema.js';
import { createPostgresAuditStore } from './audit.js';
import { CACHES_MIGRATIONS } from './caches-schema.js';
import { createPostgresCacheStore } from './caches.js';
import { CLUSTER_MIGRATIONS } from './cluster-schema.js';
import { createPostgresCoordinator } from './cluster.js';
import { PostgresDatabase } from './database.js';
import { readKeyEncryptionKey } from './key-encryption.js';
import { JOBS_MIGRATIONS } from './jobs-schema.js';
import { createPostgresJobStore } from './jobs.js';
import { KEYS_MIGRATIONS } from './keys-schema.js';
import { createPostgresKeyStore } from './keys.js';
import { MIGRATE_MIGRATIONS } from './migrate-schema.js';
import { applyMigrations, type Migration } from './migrations.js';
import { PRUNING_MIGRATIONS } from './pruning-schema.js';
import { createPostgresPruningStore } from './pruning.js';
import { REGISTRY_MIGRATIONS } from './registry-schema.js';
import { countRepositoriesInNamespace, createPostgresRegistryMetadata } from './registry.js';
import { SCANS_MIGRATIONS } from './scans-schema.js';
import { createPostgresScanStore, removeRepositoryScanSettings } from './scans.js';
import { SESSIONS_MIGRATIONS } from './sessions-schema.js';
import { createPostgresSessionStore, revokeUserCredentials } from './sessions.js';
import { SETTINGS_MIGRATIONS } from './settings-schema.js';
import { createPostgresSettingsStore } from './settings.js';
import { THROTTLE_MIGRATIONS } from './throttle-schema.js';
import { createPostgresThrottleStore } from './throttle.js';
import { VULNDB_MIGRATIONS } from './vulndb-schema.js';
import { createPostgresVulnDbStore } from './vulndb.js';

/** Every family's migrations, in the order they are applied (a family's foreign keys point backwards only). */
export const ALL_MIGRATIONS: readonly Migration[] = [
  ...CLUSTER_MIGRATIONS,
  ...ACCOUNTS_MIGRATIONS,
  ...SETTINGS_MIGRATIONS,
  ...REGISTRY_MIGRATIONS,
  ...SESSIONS_MIGRATIONS,
  ...CACHES_MIGRATIONS,
  ...THROTTLE_MIGRATIONS,
  ...KEYS_MIGRATIONS,
  ...MIGRATE_MIGRATIONS,
  ...JOBS_MIGRATIONS,
  ...PRUNING_MIGRATIONS,
  ...SCANS_MIGRATIONS,
  ...VULNDB_MIGRATIONS,
  ...AUDIT_MIGRATIONS,
];

export interface PostgresMetadataOptions {
  url: string;
  /** The key-encryption key file (--secret-key-file); required: keys are never stored in clear. */
  secretKeyFile: string | undefined;
  logger: Logger;
  /** Connections this replica keeps at most. */
  maxConnections?: number;
}

export class MissingSecretKeyFileError extends Error {
  readonly code = 'OUTPOST_SECRET_KEY_FILE_REQUIRED';
  constructor() {
    super(
      '--database needs --secret-key-file (OUTPOST_MAIN_SECRET_KEY_FILE): the signing keys are kept in ' +
        'PostgreSQL sealed with that key-encryption key. Create one with: openssl rand -base64 32 > kek; chmod 600 kek',
    );
    this.name = 'MissingSecretKeyFileError';
  }
}

export async function openPostgresMetadata(options: PostgresMetadataOptions): Promise<Metadata> {
  if (options.secretKeyFile === undefined) throw new MissingSecretKeyFileError();
  // Before connecting: a wrong path is the operator's to fix, whatever the database's state.
  const kek = await readKeyEncryptionKey(options.secretKeyFile);
  const db = await PostgresDatabase.connect(options.url, {
    ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
    onIdleError: (error) => options.logger.warn('database connection lost; the pool replaces it', { error }),
  });
  try {
    const applied = await applyMigrations(db, ALL_MIGRATIONS);
    if (applied.length > 0) options.logger.info('migrated the database schema', { applied });
    const coordinator = await createPostgresCoordinator(db, (error) =>
      options.logger.warn('lost the invalidation channel; reconnecting', { error }),
    );
    return {
      backend: 'postgres',
      description: `PostgreSQL at ${db.description}`,
      registry: createPostgresRegistryMetadata(db, {
        // Deleting a repository takes its team grants and scan settings with it, in the same transaction.
        onRepositoryDeleted: async (tx, name) => {
          await removeRepositoryGrants(tx, name);
          await removeRepositoryScanSettings(tx, name);
        },
        beforeCreate: async (tx, name) => {
          const namespace = namespaceOf(name);
          if (namespace !== undefined) await lockNamespaceAccount(tx, namespace);
        },
      }),
      accounts: createPostgresAccountStore(db, {
        countRepositoriesInNamespace,
        revokeUserCredentials,
      }),
      settings: createPostgresSettingsStore(db, kek),
      sessions: createPostgresSessionStore(db),
      caches: createPostgresCacheStore(db),
      pruning: createPostgresPruningStore(db),
      throttle: createPostgresThrottleStore(db),
      keys: createPostgresKeyStore(db, kek),
      audit: createPostgresAuditStore(db),
      coordinator,
      jobs: createPostgresJobStore(db),
      scans: createPostgresScanStore(db),
      vulndb: createPostgresVulnDbStore(db),
      revokeCredentials: (user) => db.transaction((tx) => revokeUserCredentials(tx, user)),
      async close() {
        await coordinator.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
