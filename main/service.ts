/**
 * @module Main's composition root: opens what the service needs from its config, builds the
 * app, and closes everything in reverse order. Used by the CLI and by tests alike.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { startServer, type NodeFastPath, type RunningServer } from '../src/http/serve.js';
import { KeyRing } from '../src/auth/keys.js';
import { createJwtVerifier } from '../src/auth/jwt.js';
import type { Logger } from '../src/log/logger.js';
import { parseDigest, type Digest } from '../src/oci/digest.js';
import type { MainConfig } from './config.js';
import type { RegistryMetadata } from './metadata/registry.js';
import { openMainData } from './main-data.js';
import { createRegistry, type Registry } from './registry/registry.js';
import { recoverAtStart } from './startup-recovery.js';
import { createAccounts, type Accounts } from './accounts/accounts.js';
import { createAccessControl } from './accounts/access-control.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createDirectorySignIn } from './directory/directory-sign-in.js';
import { createLdapSyncJob } from './directory/ldap-sync.js';
import type { JobKind } from './jobs/types.js';
import { createTokenService } from './auth/token-service.js';
import { createRegistryPolicy } from './auth/registry-policy.js';
import { openAccessPolicy } from './auth/open-policy.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { actorOf, createRepositories, type Repositories } from './accounts/repositories.js';
import { createImageDetails, MAX_CONFIG_BYTES } from './images/image-details.js';
import { createImages } from './images/images.js';
import { createAccountManagement } from './accounts/account-management.js';
import { createOrgManagement } from './accounts/org-management.js';
import { createMetaSettings } from './accounts/meta-settings.js';
import { createClusterStatus, readVersion } from './cluster-status.js';
import { createMainMetrics } from './metrics.js';
import { createMainHealth } from './health.js';
import { createMainApp } from './app.js';
import { createAccessLogWriter } from '../src/http/access-log.js';
import { createAuditLog } from './audit/audit-log.js';
import { createCachesModule, type CachesModule } from './caches/caches-module.js';
import { createRedirectTokenCheck } from './auth/redirect-access.js';
import { createBlobRedirectFastPath } from './routes/v2/blob-redirect-fast-path.js';
import { clientAddressResolver } from './middleware/client-address.js';
import { startJobsModule, type JobsModule } from './jobs/jobs-module.js';
import { mainJobKinds } from './jobs/kinds/main-job-kinds.js';
import { createPruning, type Pruning } from './pruning/pruner.js';
import { createPullCounter, type PullCounter } from './pruning/pull-counter.js';
import { createPullPolicy } from './registry/pull-policy.js';
import { createSbomExport } from './images/sbom-export.js';
import { createSbomAttach } from './images/sbom-attach.js';
import type { ScanStore } from './metadata/scans.js';
import type { VulnerabilityDatabase } from './vulndb/types.js';
import { createVulnerabilityDatabase } from './vulndb/database.js';
import { createScanQueue, type ScanQueue } from './scans/scan-queue.js';
import { startRescanJob } from './scans/scan-job.js';
import { createImageScans, type ImageScans } from './scans/image-scans.js';
import { registerScanMetrics } from './scans/scan-metrics.js';
import { REPLICA_DOWN_AFTER_MS, startPeriodicWork } from './periodic-work.js';

export interface MainService {
  readonly server: RunningServer;
  readonly url: string;
  readonly registry: Registry;
  /** The registry metadata owner (operations such as `gc` and tests go through it). */
  readonly registryMetadata: RegistryMetadata;
  readonly accounts: Accounts;
  readonly keys: KeyRing;
  /** Web sign-in sessions (the API accepts them too, with the CSRF header on unsafe methods). */
  readonly sessions: Sessions;
  /** Repositories as objects (settings, event log), as the management API sees them. */
  readonly repositories: Repositories;
  /** The scans owner (tests write scans through it). */
  readonly scanStore: ScanStore;
  readonly caches: CachesModule;
  /** Background jobs: the runner, the admin service, the schedules. */
  readonly jobs: JobsModule;
  /** Pruning policies and runs (main/pruning/). */
  readonly pruning: Pruning;
  /** Pull counts per tag, batched; `flush()` writes what has gathered (tests, shutdown). */
  readonly pulls: PullCounter;
  /** Image scans: results, on-demand scans, the queue (main/scans/). */
  readonly scans: ImageScans;
  readonly scanQueue: ScanQueue;
  /** Set when this start created `admin` with a random password. */
  readonly generatedAdminPassword?: string;
  /** The directory sync (kind "ldap-sync"), for the job runner to register; its trigger is `nextLdapSyncAt`. */
  readonly ldapSync: JobKind;
  /** Graceful stop: stop accepting, finish in-flight requests (bounded), close LMDB. */
  stop(): Promise<void>;
}

export interface StartMainOptions {
  now?: () => number;
  /** Password for the bootstrap `admin` (from OUTPOST_ADMIN_PASSWORD); random when absent. */
  adminPassword?: string;
  /** The vulnerability database scans are matched against (default: the imported one, main/vulndb/). */
  vulnerabilityDatabase?: VulnerabilityDatabase;
  /** How often the scan queue looks for work queued by other processes (default 5 s). */
  scanPollIntervalMs?: number;
}

// Asking the blob store for the empty blob is a cheap round trip that needs no blob to exist.
const EMPTY_BLOB = parseDigest('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
// The lease of the replica that probes the content caches for the cluster.
const PROBE_LEASE = 'cache-health-probe';
// Pull counts per tag are written at most this often (one write per flush, not per pull).
const PULL_FLUSH_INTERVAL_MS = 5_000;
// A pull by digest counts for the tags pointing to it; at most this many of a repository's tags are read per flush.
const PULL_TAGS_READ = 10_000;

export async function startMain(
  config: Readonly<MainConfig>,
  logger: Logger,
  options: StartMainOptions = {},
): Promise<MainService> {
  const now = options.now ?? Date.now;
  const data = await openMainData(config, logger);
  const { store } = data;
  try {
    await recoverAtStart(data, config, logger, now);
  } catch (err) {
    await data.close();
    throw err;
  }
  const { metadata } = data;
  const registryMetadata = metadata.registry;
  const accountStore = metadata.accounts;
  const settingsStore = metadata.settings;

  const vulndb = options.vulnerabilityDatabase ?? createVulnerabilityDatabase(metadata.vulndb);
  // Scans run in the background, never inside a push: the push only adds a record (main/scans/).
  let scans: ImageScans | undefined;
  const registry = createRegistry({
    metadata: registryMetadata,
    store,
    now,
    logger,
    maxManifestBytes: config.storage.maxManifestBytes,
    onManifestStored: (repo, digest) => scans?.onManifestPushed(repo, digest),
  });
  const accounts = createAccounts(accountStore, { revokeCredentials: metadata.revokeCredentials, now });
  // Registry tokens and redirect tokens are signed with the same keys: a retired key stays in the
  // JWKS until the longer-lived of the two kinds it signed has expired.
  const maxTokenLifetimeMs = Math.max(config.auth.tokenLifetimeMs, config.caches.redirectTokenLifetimeMs);
  const keys = await KeyRing.open({
    store: metadata.keys,
    now,
    maxTokenLifetimeMs,
    prePublishMs: config.auth.keyPrePublishMs,
  });

  // Listen first so that the public URL (the token issuer and realm) is known even when the
  // port was 0; requests in the short gap before the app is built are answered 503.
  let app: { fetch: (request: Request, env: unknown) => Response | Promise<Response> } | undefined;
  let fastPath: NodeFastPath | undefined;
  let server: RunningServer;
  try {
    server = await startServer({
      fetch: (request, env) => (app ? app.fetch(request, env) : new Response('starting', { status: 503 })),
      fastPath: (incoming, outgoing) => fastPath?.(incoming, outgoing) ?? false,
      listen: config.listen,
      tls: config.tls,
    });
  } catch (err) {
    await data.close();
    throw err;
  }
  // Only once main listens: a first start that fails (port busy) must not leave an `admin`
  // whose generated password was never shown.
  const { generatedPassword } = await bootstrapAdmin(accounts, logger, options.adminPassword);
  const publicUrl = config.publicUrl ?? server.url;
  const replica = { id: randomUUID(), url: server.url, version: readVersion(), startedAt: now() };

  const accessControl = createAccessControl(
    (name) => registryMetadata.getRepository(name),
    accountStore,
    settingsStore,
  );
  const jwksKey: JWTVerifyGetKey = (header, token) => createLocalJWKSet(keys.jwks())(header, token);
  const verifier = createJwtVerifier({
    getKey: jwksKey,
    issuer: publicUrl,
    audience: config.auth.service,
    now,
  });
  const sessionStore = metadata.sessions;
  const accountId = async (name: string) => accounts.userId(name);
  const sessions = createSessions({ store: sessionStore, accountId, lifetimeMs: config.auth.sessionLifetimeMs, now });
  const audit = createAuditLog({ store: metadata.audit, logger, now });
  const authenticator = createAuthenticator({
    accounts,
    throttle: createLoginThrottle({ store: metadata.throttle, now, logger, audit }),
    verifier,
    directory: createDirectorySignIn({ settings: settingsStore, logger }),
    audit,
  });
  const tokens = createTokenService({
    keys,
    accessControl,
    store: sessionStore,
    accountId,
    issuer: publicUrl,
    service: config.auth.service,
    tokenLifetimeMs: config.auth.tokenLifetimeMs,
    refreshTokenLifetimeMs: config.auth.refreshTokenLifetimeMs,
    now,
  });
  const metrics = createMainMetrics(registryMetadata, now);
  const cachesModule = createCachesModule({
    store: metadata.caches,
    accounts,
    keys,
    issuer: publicUrl,
    ...config.caches,
    metricsRegistry: metrics.registry,
    logger,
    now,
    subscribe: (onTopic) => metadata.coordinator.subscribe(onTopic),
    replicaId: replica.id,
    // One replica probes the edges for the cluster; the embedded main is its only replica.
    ...(metadata.backend === 'postgres' && {
      probeLease: () => metadata.coordinator.acquireLease(PROBE_LEASE, replica.id, 3 * config.caches.probeIntervalMs),
    }),
  });
  const accessPolicy = config.auth.enabled
    ? createRegistryPolicy({
        authenticator,
        accessControl,
        realm: `${publicUrl}/auth/token`,
        service: config.auth.service,
        repositoryExists: async (name) => (await registryMetadata.getRepository(name)) !== undefined,
        redirectTokenCheck: createRedirectTokenCheck({
          getKey: jwksKey,
          issuer: publicUrl,
          now,
          activeUser: (name) => authenticator.activeUser(name),
        }),
      })
    : openAccessPolicy;
  if (!config.auth.enabled) logger.warn('authentication is disabled: every client is an administrator');

  const repositories = createRepositories({ metadata: registryMetadata, accounts: accountStore, accessControl, now });
  const pruning = createPruning({
    registry: registryMetadata,
    store: metadata.pruning,
    administer: (principal, name) => repositories.administer(principal, name),
    actorOf,
    now,
  });
  const pulls = createPullCounter({
    recordPulls: (batch) => metadata.pruning.recordPulls(batch),
    listTags: (repo) => registryMetadata.listTags(repo, { limit: PULL_TAGS_READ }),
    now,
    logger,
    intervalMs: PULL_FLUSH_INTERVAL_MS,
  });
  // Before the job kinds: the `scan` job queues through it (it claims nothing before `start`).
  const scanQueue = createScanQueue({
    store: metadata.scans,
    blobs: store,
    vulndb,
    worker: replica.id,
    concurrency: config.scans.concurrency,
    singleProcess: metadata.backend === 'embedded',
    logger,
    now,
    ...(options.scanPollIntervalMs !== undefined && { pollIntervalMs: options.scanPollIntervalMs }),
    // A new database generation's rescan shows as a `scan` job (the queue starts after the jobs module).
    onRematchQueued: ({ since }) => startRescanJob(jobsModule.jobs, since),
  });
  // Every kind of background job main runs (a new kind is one line in main/jobs/kinds/main-job-kinds.ts).
  const jobKinds: JobKind[] = mainJobKinds({
    config,
    registryMetadata,
    store,
    registry,
    pruning,
    accounts,
    settings: settingsStore,
    logger,
    now,
    warmCache: { caches: cachesModule.caches, redirects: cachesModule.redirects },
    scans: {
      store: metadata.scans,
      enqueue: (request) => scanQueue.enqueue(request),
      vulndb,
      concurrency: scanQueue.concurrency,
    },
  });
  const jobsModule = await startJobsModule({
    store: metadata.jobs,
    kinds: jobKinds,
    holder: replica.id,
    concurrency: config.jobs.concurrency,
    embedded: metadata.backend === 'embedded',
    logger,
    now,
  });
  const images = createImages({
    repositories,
    metadata: registryMetadata,
    details: createImageDetails({
      metadata: registryMetadata,
      blobs: registry.blobs,
      maxConfigBytes: MAX_CONFIG_BYTES,
    }),
  });
  registerScanMetrics(metrics.registry, metadata.scans);
  scans = createImageScans({
    enqueue: (request) => scanQueue.enqueue(request),
    concurrency: scanQueue.concurrency,
    store: metadata.scans,
    registry: registryMetadata,
    repositories,
    accessControl,
    settings: settingsStore,
    vulndb,
    logger,
    now,
  });
  // What pages, the SBOM export and the pull policy read of scans: the scans owner's record of a manifest.
  const scanResults = scans.results;
  const sboms = createSbomExport({ images, scans: scanResults, publicUrl, tool: `outpost-${readVersion()}` });
  const management = {
    sboms,
    sbomAttach: createSbomAttach({ sboms, accessControl, registry }),
    accounts: createAccountManagement({
      accounts,
      accessControl,
      cacheNames: async () => (await cachesModule.caches.list()).map((c) => c.name),
    }),
    orgs: createOrgManagement({ accounts, accessControl, registry: registryMetadata }),
    repositories,
    images,
    meta: createMetaSettings(settingsStore),
    jobs: jobsModule.jobs,
    pruning,
    scans,
    clusterStatus: createClusterStatus({
      registryMetadata,
      accounts: accountStore,
      keys,
      now,
      replicaId: replica.id,
      replicas: () => metadata.coordinator.replicas(REPLICA_DOWN_AFTER_MS),
      database: { location: metadata.description, ping: () => registryMetadata.ping() },
      blobStore: { location: data.blobsDescription, ping: async () => void (await store.stat(EMPTY_BLOB)) },
    }),
  };
  app = createMainApp({
    registry,
    pullPolicy: createPullPolicy({ metadata: registryMetadata, scans: scanResults }),
    logger,
    metrics,
    accessLogSampleRate: config.log.accessSampleRate,
    audit,
    health: createMainHealth(registryMetadata, resolve(config.dataDir)),
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
      images,
      scans,
      registryMetadata,
      metaSettings: management.meta,
      publicUrl,
      logger,
      now,
      caches: cachesModule,
      jobs: jobsModule.jobs,
      pruning,
      audit,
    },
    deleteEnabled: config.storage.deleteEnabled,
    // As short-lived as the redirect tokens to the caches (config caches.redirectTokenLifetime).
    ...(config.blobsRedirect &&
      data.presignBlob && {
        presignBlob: (digest: Digest) =>
          data.presignBlob!(digest, Math.max(1, Math.ceil(config.caches.redirectTokenLifetimeMs / 1000))),
      }),
    maxManifestBytes: config.storage.maxManifestBytes,
    onManifestPull: (repo, reference) => pulls.record(repo, reference),
    trustedProxies: config.http.trustedProxies,
  });
  // Only with authentication on: the fast path answers bearer tokens, which mean nothing without it.
  if (config.auth.enabled) {
    fastPath = createBlobRedirectFastPath({
      authenticator,
      registry,
      caches: cachesModule,
      http: metrics.http,
      clientAddress: clientAddressResolver(config.http.trustedProxies),
      accessLog: createAccessLogWriter({ logger, sampleRate: config.log.accessSampleRate }),
    });
  }

  const purge = () => registry.uploads.purgeAbandoned(config.storage.uploadMaxAgeMs).then(() => undefined);
  // The embedded main purges before it serves, as it always has; replicas leave it to the lease holder.
  if (metadata.backend === 'embedded')
    await purge().catch((err) => logger.error('upload purge failed', { error: err }));
  await scanQueue.start();
  const periodic = await startPeriodicWork({
    config,
    coordinator: metadata.coordinator,
    replica,
    keys,
    sessions,
    settings: settingsStore,
    jobStore: metadata.jobs,
    jobs: jobsModule.jobs,
    purgeUploads: purge,
    logger,
    now,
  });

  // `url` is what clients use (the public URL); `bindUrl` is the socket this process listens on.
  logger.info('main registry listening', {
    url: publicUrl,
    bindUrl: server.url,
    dataDir: resolve(config.dataDir),
    metadata: metadata.description,
    blobs: data.blobsDescription,
    replica: replica.id,
    ...(config.blobsRedirect && { blobsRedirect: true }),
  });

  return {
    server,
    url: publicUrl,
    registry,
    registryMetadata,
    accounts,
    keys,
    sessions,
    repositories,
    scanStore: metadata.scans,
    caches: cachesModule,
    jobs: jobsModule,
    pruning,
    pulls,
    scans,
    scanQueue,
    ...(generatedPassword && { generatedAdminPassword: generatedPassword }),
    ldapSync: createLdapSyncJob({ accounts, settings: settingsStore }),
    async stop() {
      await periodic.stop();
      await jobsModule.stop();
      await scanQueue.stop();
      await server.close(config.shutdownGraceMs);
      // After the last request: the redirects decided during the grace period are in its last sample.
      await cachesModule.stop();
      await metadata.coordinator.releaseLease(PROBE_LEASE, replica.id).catch(() => {});
      // After the last request: every pull served is counted before the metadata closes.
      await pulls.close();
      // After the last request, before the database closes: every queued event is written.
      await audit.stop();
      await metadata.coordinator.leave(replica.id).catch(() => {});
      await metadata.close();
      logger.info('main registry stopped');
    },
  };
}
