/**
 * @module Main's composition root: opens what the service needs from its config, builds the
 * app, and closes everything in reverse order. Used by the CLI and by tests alike.
 */
import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import { startServer, type RunningServer } from '../src/http/serve.js';
import type { Logger } from '../src/log/logger.js';
import type { MainConfig } from './config.js';
import { openMetadataDb, type MetadataDb } from './registry/metadata-db.js';
import { createRegistry, type Registry } from './registry/registry.js';
import { createMainMetrics } from './metrics.js';
import { createMainHealth } from './health.js';
import { createMainApp } from './app.js';

export interface MainService {
  readonly server: RunningServer;
  readonly registry: Registry;
  /** Graceful stop: stop accepting, finish in-flight requests (bounded), close LMDB. */
  stop(): Promise<void>;
}

/** Opens the data directory's store and database (also used by offline commands such as gc). */
export async function openMainData(dataDir: string): Promise<{ store: FsBlobStore; db: MetadataDb }> {
  const root = resolve(dataDir);
  await mkdir(root, { recursive: true });
  const store = await FsBlobStore.create(root);
  const db = openMetadataDb(join(root, 'db'));
  return { store, db };
}

export async function startMain(config: Readonly<MainConfig>, logger: Logger, now: () => number = Date.now): Promise<MainService> {
  const { store, db } = await openMainData(config.dataDir);
  // Single-request ingests interrupted by a crash leave temp files: nothing refers to them.
  const removed = await store.removeTemporaryFiles();
  if (removed > 0) logger.info('removed leftover temporary files', { removed });

  const registry = createRegistry({ db, store, now, logger, maxManifestBytes: config.storage.maxManifestBytes });
  const metrics = createMainMetrics(db, now);
  const app = createMainApp({
    registry,
    logger,
    metrics,
    health: createMainHealth(db, resolve(config.dataDir)),
    deleteEnabled: config.storage.deleteEnabled,
    maxManifestBytes: config.storage.maxManifestBytes,
  });

  const purge = () => registry.uploads.purgeAbandoned(config.storage.uploadMaxAgeMs).catch((err) => logger.error('upload purge failed', { error: err }));
  await purge();
  const purgeTimer = config.storage.uploadPurgeIntervalMs > 0 ? setInterval(purge, config.storage.uploadPurgeIntervalMs).unref() : undefined;

  const server = await startServer({ fetch: app.fetch, listen: config.listen, tls: config.tls });
  logger.info('main registry listening', { url: server.url, dataDir: resolve(config.dataDir) });

  return {
    server,
    registry,
    async stop() {
      clearInterval(purgeTimer);
      await server.close(config.shutdownGraceMs);
      await db.close();
      logger.info('main registry stopped');
    },
  };
}
