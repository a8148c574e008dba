/**
 * @module What main checks and mends in its storage before it serves: permissions it had to
 * narrow, the blob index after an unclean stop, and temporary files left by interrupted ingests.
 */
import type { Logger } from '../src/log/logger.js';
import type { MainConfig } from './config.js';
import type { MainData } from './main-data.js';
import { repairMainStore } from './registry/repair.js';

export async function recoverAtStart(
  data: MainData,
  config: Pick<MainConfig, 'database' | 'blobs' | 'storage'>,
  logger: Logger,
  now: () => number,
): Promise<void> {
  const { store, tightened, sharedBlobs } = data;
  if (tightened.length > 0) {
    logger.warn('data directory was readable by others: narrowed to its owner (0700)', {
      directories: tightened.length,
      examples: tightened.slice(0, 5),
    });
  }
  if (config.database !== undefined && config.blobs === undefined) {
    logger.warn("blobs are kept in this replica's data directory: other replicas cannot serve them (use --blobs)");
  }
  // Repair reconciles the index with the store after this process's own crash; with a shared
  // store, another replica's write in progress would look like damage, so GC's grace period
  // deals with leftovers there instead.
  if (!sharedBlobs) {
    const repaired = await repairMainStore(data.metadata.registry, store, logger, now);
    if (Object.values(repaired).some((n) => n > 0)) {
      // The repair is the recovery: done, nothing left for the operator to do (info, not warn).
      logger.info('repaired the blob index after an unclean stop', { ...repaired });
    }
  }
  // Single-request ingests interrupted by a crash leave temp files: nothing refers to them. In a
  // shared store, other replicas may be writing theirs: only old ones go.
  const removed = await store.removeTemporaryFiles(sharedBlobs ? now() - config.storage.uploadMaxAgeMs : undefined);
  if (removed > 0) logger.info('removed leftover temporary files', { removed });
}
