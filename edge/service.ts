/**
 * @module The edge's composition root: opens store and index, repairs them, loads main's
 * keys, builds the cache and the app, and closes everything in reverse order.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import { tightenDataDir } from '../src/store/private-files.js';
import { startServer, type RunningServer } from '../src/http/serve.js';
import { prepareDataDir } from '../src/config/data-dir.js';
import type { Logger } from '../src/log/logger.js';
import type { EdgeConfig } from './config.js';
import { CacheIndex } from './cache/cache-index.js';
import { KeySource } from './cache/jwks-cache.js';
import { createUpstream, createUpstreamDispatcher } from './cache/upstream.js';
import { createFallbackUpstream } from './cache/fallback-upstream.js';
import { BlobCache } from './cache/blob-cache.js';
import { createMainClient } from './cache/main-client.js';
import { reconcile } from './cache/reconcile.js';
import { createRedirectVerifiers } from './redirect-auth.js';
import { createBlobFastPath } from './routes/blob-fast-path.js';
import { createBlobSender } from './routes/send-cached-blob.js';
import { createEdgeMetrics, edgeCounters } from './metrics.js';
import { readVersion } from '../src/config/version.js';
import { createAccessLogWriter } from '../src/http/access-log.js';
import { createEdgeHealth } from './health.js';
import { createEdgeApp } from './app.js';
import { joinMain, type JoinOutcome } from './join-main.js';
import { createTroubleReporter } from './report-trouble.js';
import { nodeIdOf } from './node-id.js';
import { EdgeCredentials } from './node-credential.js';
import { startHeartbeat } from './heartbeat.js';
import { handOffFor } from './front.js';

export interface EdgeService {
  readonly server: RunningServer;
  readonly url: string;
  readonly cache: BlobCache;
  readonly index: CacheIndex;
  /** With a join token: the registration on main, running in the background (never rejects). */
  readonly joined?: Promise<JoinOutcome>;
  stop(): Promise<void>;
}

// Access times reach LMDB in batches; a crash loses at most this much LRU precision.
const ACCESS_FLUSH_INTERVAL_MS = 5_000;
const TTL_SWEEP_INTERVAL_MS = 60_000;
const KEY_REFRESH_INTERVAL_MS = 10 * 60_000;

export async function startEdge(
  config: Readonly<EdgeConfig>,
  logger: Logger,
  now: () => number = Date.now,
): Promise<EdgeService> {
  // Checked before anything is opened: a bad token file must not leave LMDB or sockets open.
  const adminToken = config.adminTokenFile ? (await readFile(config.adminTokenFile, 'utf8')).trim() : undefined;
  if (adminToken !== undefined && adminToken.length < 16)
    throw new Error(`${config.adminTokenFile}: the operator token must be at least 16 characters`);
  const dataDir = await prepareDataDir(config.dataDir, '--data / OUTPOST_EDGE_DATA_DIR');
  // Owner only (src/store/private-files.ts); directories an older version made wider are narrowed.
  const tightened = await tightenDataDir(dataDir);
  if (tightened.length > 0) {
    logger.warn('data directory was readable by others: narrowed to its owner (0700)', {
      directories: tightened.length,
      examples: tightened.slice(0, 5),
    });
  }
  const nodeId = await nodeIdOf(dataDir, config.nodeId);
  // The join token, and the node credential main issued at an earlier join (if any).
  const credentials = await EdgeCredentials.load(dataDir, config.joinToken);
  const store = await FsBlobStore.create(dataDir);
  const index = new CacheIndex(join(dataDir, 'db'));
  let report;
  try {
    report = await reconcile(store, index, now(), logger);
  } catch (err) {
    await index.close().catch(() => {});
    throw err;
  }
  logger.info('store reconciled', { ...report });

  // `cache` is read when metrics are collected, after it exists.
  const metrics = createEdgeMetrics({
    store: () => ({ bytes: index.bytes, blobs: index.count, degraded: cache.storeHealth().degraded !== undefined }),
    capacityBytes: config.maxBytes,
    version: readVersion(),
  });
  const dispatcher = createUpstreamDispatcher(config.upstreamTimeoutsMs);
  // Warm pulls from main with main's registry token, which another edge upstream would refuse.
  const origin = createUpstream(config.issuer, dispatcher, config.name);
  // Through another cache, misses fall back to main while that cache fails.
  const upstream =
    config.issuer === config.upstream || !config.fallbackToMain
      ? createUpstream(config.upstream, dispatcher, config.name)
      : createFallbackUpstream({
          cache: createUpstream(config.upstream, dispatcher, config.name),
          main: origin,
          fallbacks: metrics.upstreamFallbacks,
          logger,
          now,
          // With join credentials, main hears of the failure and probes that cache at once.
          ...(credentials.any && {
            onCacheFailure: createTroubleReporter({
              mainUrl: config.issuer,
              token: () => credentials.current(),
              name: config.name,
              nodeId,
              upstream: config.upstream,
              dispatcher,
              logger,
              now,
            }),
          }),
        });
  const keys = new KeySource({
    index,
    dispatcher,
    logger,
    now,
    minRefreshMs: config.jwksMinRefreshMs,
    ...(config.jwksFile ? { file: config.jwksFile } : { url: config.jwksUrl ?? `${config.issuer}/auth/jwks.json` }),
  });
  // Without keys (main down, none cached) the edge starts anyway: unhealthy, answering 503 until they arrive.
  await keys.start();

  const cache = new BlobCache({
    index,
    store,
    upstream,
    origin,
    budget: { maxBytes: config.maxBytes, highWatermark: config.highWatermark, lowWatermark: config.lowWatermark },
    ttlMs: config.blobTtlMs,
    memoryCacheBytes: config.memoryCacheBytes,
    memoryCacheMaxBlobBytes: config.memoryCacheMaxBlobBytes,
    downloadMemoryBytes: config.downloadMemoryBytes,
    metrics,
    logger,
    now,
  });

  const health = createEdgeHealth({
    index,
    cache,
    keys,
    upstream,
    dataDir,
    maxBytes: config.maxBytes,
    counters: () => edgeCounters(metrics),
    now,
  });
  const redirects = createRedirectVerifiers({
    getKey: keys.getKey,
    issuer: config.issuer,
    cacheName: config.name,
    logger,
    now,
    hasKeys: () => keys.hasKeys(),
    onRefused: (reason) => metrics.redirectTokenRefusals.inc({ reason }),
  });
  // One sender for the route and the hot path (the nginx front mode adds its file-hit hook here).
  const send = createBlobSender({ metrics, handOffHit: handOffFor(config.front) });
  const app = createEdgeApp({
    cache,
    send,
    verifyRedirect: redirects.verify,
    metrics,
    logger,
    health,
    accessLogSampleRate: config.log.accessSampleRate,
    ...(adminToken && {
      admin: {
        adminToken,
        cache,
        index,
        name: config.name,
        maxBytes: config.maxBytes,
        main: createMainClient(config.issuer, dispatcher, config.name),
        logger,
      },
    }),
  });

  const timers = [
    setInterval(
      () => index.flushAccess().catch((err) => logger.error('access flush failed', { error: err })),
      ACCESS_FLUSH_INTERVAL_MS,
    ),
    setInterval(
      () => cache.evictExpired().catch((err) => logger.error('ttl sweep failed', { error: err })),
      TTL_SWEEP_INTERVAL_MS,
    ),
    setInterval(() => void keys.refresh(), KEY_REFRESH_INTERVAL_MS),
  ];
  for (const timer of timers) timer.unref();

  let server: RunningServer;
  try {
    server = await startServer({
      fetch: app.fetch,
      listen: config.listen,
      tls: config.tls,
      fastPath: createBlobFastPath({
        cache,
        verifiedBefore: redirects.verifiedBefore,
        metrics,
        send,
        accessLog: createAccessLogWriter({ logger, sampleRate: config.log.accessSampleRate }),
      }),
    });
  } catch (err) {
    // Not listening (port busy): close what is open so that the process can exit at once.
    for (const timer of timers) clearInterval(timer);
    keys.stop();
    await upstream.close().catch(() => {});
    await index.close();
    throw err;
  }
  const url = config.publicUrl ?? server.url;
  logger.info('edge cache listening', {
    name: config.name,
    // `url` is what clients are sent to (the public URL); `bindUrl` is the socket it listens on.
    url,
    bindUrl: server.url,
    upstream: config.upstream,
    dataDir,
    ...(config.front !== 'none' && { front: config.front }),
  });
  // Not awaited: the edge serves while it registers (and if registering fails).
  const stopJoining = new AbortController();
  const joined = credentials.any
    ? joinMain({
        mainUrl: config.issuer,
        credentials,
        name: config.name,
        nodeId,
        host: url,
        ...(config.region && { region: config.region }),
        upstream: config.upstream,
        dispatcher,
        logger,
        signal: stopJoining.signal,
      })
    : undefined;
  const stopHeartbeat =
    credentials.any && config.heartbeatIntervalMs > 0
      ? startHeartbeat({
          mainUrl: config.issuer,
          token: () => credentials.current(),
          name: config.name,
          nodeId,
          intervalMs: config.heartbeatIntervalMs,
          health,
          dispatcher,
          logger,
        })
      : undefined;

  return {
    server,
    url,
    cache,
    index,
    ...(joined && { joined }),
    async stop() {
      stopJoining.abort();
      await joined;
      await stopHeartbeat?.();
      for (const timer of timers) clearInterval(timer);
      keys.stop();
      // Finish what is being served; downloads still running after the grace are aborted.
      const closing = server.close(config.shutdownGraceMs);
      const abortTimer = setTimeout(() => cache.abortAll(), config.shutdownGraceMs).unref();
      await closing;
      clearTimeout(abortTimer);
      cache.abortAll();
      // Clients get their last byte before the blob is committed: let the commits finish.
      await cache.settled();
      await upstream.close().catch(() => {});
      await index.close();
      logger.info('edge cache stopped');
    },
  };
}
