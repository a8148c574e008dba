/**
 * @module Main's composition root: opens what the service needs from its config, builds the
 * app, and closes everything in reverse order. Used by the CLI and by tests alike.
 */
import { join, resolve } from 'node:path';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import { S3BlobStore } from '../src/store/s3-blob-store.js';
import { formatS3Location } from '../src/store/s3-location.js';
import type { Digest } from '../src/oci/digest.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { tightenDataDir } from '../src/store/private-files.js';
import { startServer, type RunningServer } from '../src/http/serve.js';
import { prepareDataDir } from '../src/config/data-dir.js';
import { KeyRing } from '../src/auth/keys.js';
import { createJwtVerifier } from '../src/auth/jwt.js';
import type { Logger } from '../src/log/logger.js';
import { ConfigError } from '../src/config/load.js';
import type { BlobsLocation, MainConfig } from './config.js';
import { openMetadataDb, type MetadataDb } from './registry/metadata-db.js';
import { createRegistry, type Registry } from './registry/registry.js';
import { repairMainStore } from './registry/repair.js';
import { openAccountsDb, type AccountsDb } from './accounts/accounts-db.js';
import { createAccounts, type Accounts } from './accounts/accounts.js';
import { createAccessControl } from './accounts/access-control.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createTokenService } from './auth/token-service.js';
import { createRegistryPolicy } from './auth/registry-policy.js';
import { openAccessPolicy } from './auth/open-policy.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { createRepositories, type Repositories } from './accounts/repositories.js';
import { createAccountManagement } from './accounts/account-management.js';
import { createOrgManagement } from './accounts/org-management.js';
import { createMetaSettings } from './accounts/meta-settings.js';
import { createClusterStatus } from './cluster-status.js';
import { createMainMetrics } from './metrics.js';
import { createMainHealth } from './health.js';
import { createMainApp } from './app.js';
import { createCachesModule, type CachesModule } from './caches/caches-module.js';
import { createRedirectTokenCheck } from './auth/redirect-access.js';

export interface MainService {
  readonly server: RunningServer;
  readonly url: string;
  readonly registry: Registry;
  readonly accounts: Accounts;
  readonly keys: KeyRing;
  /** Web sign-in sessions (the API accepts them too, with the CSRF header on unsafe methods). */
  readonly sessions: Sessions;
  /** Repositories as objects (settings, event log), as the management API sees them. */
  readonly repositories: Repositories;
  readonly caches: CachesModule;
  /** Set when this start created `admin` with a random password. */
  readonly generatedAdminPassword?: string;
  /** Graceful stop: stop accepting, finish in-flight requests (bounded), close LMDB. */
  stop(): Promise<void>;
}

export interface MainData {
  store: BlobStore;
  /** A short-lived URL that serves a blob without main, when the blobs are on S3 (--blobs-redirect). */
  presignBlob?: (digest: Digest, expiresInSeconds: number) => Promise<string>;
  /** Releases the blob store's connections (S3). */
  closeStore(): void;
  db: MetadataDb;
  accountsDb: AccountsDb;
  keysDir: string;
  /** Directories of the data directory whose permissions had to be narrowed to the owner. */
  tightened: string[];
}

/** Where the signing keys live in a data directory (see src/auth/keys.ts). */
export const keysDirOf = (dataDir: string): string => join(resolve(dataDir), 'keys');

/**
 * Opens the data directory's store and databases (also used by offline commands: gc, user, keys).
 * With `blobs`, the blob store is that directory, or that S3 bucket, instead of the data directory.
 */
export async function openMainData(
  dataDir: string,
  { blobs }: { blobs?: BlobsLocation | undefined } = {},
): Promise<MainData> {
  const root = await prepareDataDir(dataDir, '--data / OUTPOST_MAIN_DATA_DIR');
  // Owner only (src/store/private-files.ts); directories an older version made wider are narrowed.
  const tightened = await tightenDataDir(root);
  let store: BlobStore;
  let s3: S3BlobStore | undefined;
  if (blobs?.kind === 's3') {
    // Checks bucket and credentials now: a wrong setting fails the start, not the first push.
    store = s3 = await S3BlobStore.open(blobs.location);
  } else {
    let blobsRoot = root;
    if (blobs !== undefined) {
      blobsRoot = await prepareDataDir(blobs.path, '--blobs / OUTPOST_MAIN_BLOBS');
      tightened.push(...(await tightenDataDir(blobsRoot)));
    }
    store = await FsBlobStore.create(blobsRoot);
  }
  const db = openMetadataDb(join(root, 'db'));
  return {
    store,
    ...(s3 && { presignBlob: (digest: Digest, expiresInSeconds: number) => s3.presignGet(digest, expiresInSeconds) }),
    closeStore: () => s3?.close(),
    db,
    accountsDb: openAccountsDb(db.root),
    keysDir: keysDirOf(root),
    tightened,
  };
}

export interface StartMainOptions {
  now?: () => number;
  /** Password for the bootstrap `admin` (from OUTPOST_ADMIN_PASSWORD); random when absent. */
  adminPassword?: string;
}

// A rotation by `outpost main keys rotate` in another process is picked up within this time.
const KEY_RELOAD_INTERVAL_MS = 10_000;
// Expired web sessions are refused when read; this only reclaims their space.
const SESSION_PURGE_INTERVAL_MS = 60 * 60_000;

export async function startMain(
  config: Readonly<MainConfig>,
  logger: Logger,
  options: StartMainOptions = {},
): Promise<MainService> {
  const now = options.now ?? Date.now;
  if (config.database !== undefined) {
    // The PostgreSQL owners are being built (issue 10); until they are wired, refuse rather than
    // silently keep the metadata in LMDB while the operator believes it is shared.
    throw new ConfigError(['--database: PostgreSQL metadata is not available in this build yet']);
  }
  const { store, presignBlob, closeStore, db, accountsDb, keysDir, tightened } = await openMainData(config.dataDir, {
    blobs: config.blobs,
  });
  if (tightened.length > 0) {
    logger.warn('data directory was readable by others: narrowed to its owner (0700)', {
      directories: tightened.length,
      examples: tightened.slice(0, 5),
    });
  }
  const repaired = await repairMainStore(db, store, logger, now);
  if (Object.values(repaired).some((n) => n > 0)) {
    logger.warn('repaired the blob index after an unclean stop', { ...repaired });
  }
  // Single-request ingests interrupted by a crash leave temp files: nothing refers to them. In a
  // blob directory of its own, other replicas may be writing theirs: only old ones go.
  const shared = config.blobs !== undefined;
  const removed = await store.removeTemporaryFiles(shared ? now() - config.storage.uploadMaxAgeMs : undefined);
  if (removed > 0) logger.info('removed leftover temporary files', { removed });

  const registry = createRegistry({ db, store, now, logger, maxManifestBytes: config.storage.maxManifestBytes });
  const accounts = createAccounts(accountsDb, now);
  // Registry tokens and redirect tokens are signed with the same keys: a retired key stays in the
  // JWKS until the longer-lived of the two kinds it signed has expired.
  const maxTokenLifetimeMs = Math.max(config.auth.tokenLifetimeMs, config.caches.redirectTokenLifetimeMs);
  const keys = await KeyRing.open({ dir: keysDir, now, maxTokenLifetimeMs, prePublishMs: config.auth.keyPrePublishMs });

  // Listen first so that the public URL (the token issuer and realm) is known even when the
  // port was 0; requests in the short gap before the app is built are answered 503.
  let app: { fetch: (request: Request, env: unknown) => Response | Promise<Response> } | undefined;
  let server: RunningServer;
  try {
    server = await startServer({
      fetch: (request, env) => (app ? app.fetch(request, env) : new Response('starting', { status: 503 })),
      listen: config.listen,
      tls: config.tls,
    });
  } catch (err) {
    await db.close();
    closeStore();
    throw err;
  }
  // Only once main listens: a first start that fails (port busy) must not leave an `admin`
  // whose generated password was never shown.
  const { generatedPassword } = await bootstrapAdmin(accounts, logger, options.adminPassword);
  const publicUrl = config.publicUrl ?? server.url;

  const accessControl = createAccessControl(db, accountsDb);
  const jwksKey: JWTVerifyGetKey = (header, token) => createLocalJWKSet(keys.jwks())(header, token);
  const verifier = createJwtVerifier({
    getKey: jwksKey,
    issuer: publicUrl,
    audience: config.auth.service,
    now,
  });
  const sessions = createSessions(accountsDb, config.auth.sessionLifetimeMs, now);
  const authenticator = createAuthenticator({ accounts, throttle: createLoginThrottle({ now, logger }), verifier });
  const tokens = createTokenService({
    keys,
    accessControl,
    accountsDb,
    issuer: publicUrl,
    service: config.auth.service,
    tokenLifetimeMs: config.auth.tokenLifetimeMs,
    refreshTokenLifetimeMs: config.auth.refreshTokenLifetimeMs,
    now,
  });
  const metrics = createMainMetrics(db, now);
  const cachesModule = createCachesModule({
    root: db.root,
    accounts,
    keys,
    issuer: publicUrl,
    ...config.caches,
    metricsRegistry: metrics.registry,
    logger,
    now,
  });
  const accessPolicy = config.auth.enabled
    ? createRegistryPolicy({
        authenticator,
        accessControl,
        realm: `${publicUrl}/auth/token`,
        service: config.auth.service,
        repositoryExists: (name) => db.repositories.doesExist(name),
        redirectTokenCheck: createRedirectTokenCheck({
          getKey: jwksKey,
          issuer: publicUrl,
          now,
          activeUser: (name) => authenticator.activeUser(name),
        }),
      })
    : openAccessPolicy;
  if (!config.auth.enabled) logger.warn('authentication is disabled: every client is an administrator');

  const repositories = createRepositories({ db, accountsDb, accessControl, now });
  const management = {
    accounts: createAccountManagement({
      accounts,
      accountsDb,
      accessControl,
      cacheNames: () => cachesModule.caches.list().map((c) => c.name),
    }),
    orgs: createOrgManagement({ accounts, accountsDb, accessControl, db }),
    repositories,
    meta: createMetaSettings(accountsDb),
    clusterStatus: createClusterStatus({ db, accountsDb, keys, now }),
  };
  app = createMainApp({
    registry,
    logger,
    metrics,
    health: createMainHealth(db, resolve(config.dataDir)),
    accessPolicy,
    auth: { tokens, authenticator, keys },
    sessions,
    management,
    caches: cachesModule,
    web: {
      accounts,
      accountManagement: management.accounts,
      orgManagement: management.orgs,
      authenticator,
      sessions,
      accessControl,
      repositories,
      registry,
      metaSettings: management.meta,
      publicUrl,
      logger,
      now,
      caches: cachesModule,
    },
    deleteEnabled: config.storage.deleteEnabled,
    // As short-lived as the redirect tokens to the caches (config caches.redirectTokenLifetime).
    ...(config.blobsRedirect &&
      presignBlob && {
        presignBlob: (digest: Digest) =>
          presignBlob(digest, Math.max(1, Math.ceil(config.caches.redirectTokenLifetimeMs / 1000))),
      }),
    maxManifestBytes: config.storage.maxManifestBytes,
    trustedProxies: config.http.trustedProxies,
  });

  const purge = () =>
    registry.uploads
      .purgeAbandoned(config.storage.uploadMaxAgeMs)
      .catch((err) => logger.error('upload purge failed', { error: err }));
  await purge();
  const timers = [
    config.storage.uploadPurgeIntervalMs > 0
      ? setInterval(purge, config.storage.uploadPurgeIntervalMs).unref()
      : undefined,
    setInterval(
      () => keys.reload().catch((err) => logger.error('key reload failed', { error: err })),
      KEY_RELOAD_INTERVAL_MS,
    ).unref(),
    setInterval(
      () => sessions.purgeExpired().catch((err) => logger.error('session purge failed', { error: err })),
      SESSION_PURGE_INTERVAL_MS,
    ).unref(),
  ];

  logger.info('main registry listening', {
    url: server.url,
    publicUrl,
    dataDir: resolve(config.dataDir),
    // An S3 location holds no secret (credentials come from the SDK's chain): logged as written.
    ...(config.blobs && {
      blobs: config.blobs.kind === 's3' ? formatS3Location(config.blobs.location) : resolve(config.blobs.path),
    }),
    ...(config.blobsRedirect && { blobsRedirect: true }),
  });

  return {
    server,
    url: publicUrl,
    registry,
    accounts,
    keys,
    sessions,
    repositories,
    caches: cachesModule,
    ...(generatedPassword && { generatedAdminPassword: generatedPassword }),
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await cachesModule.stop();
      await server.close(config.shutdownGraceMs);
      await db.close();
      closeStore();
      logger.info('main registry stopped');
    },
  };
}
