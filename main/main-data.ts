/**
 * @module Opens main's storage from its configuration: the metadata backend (embedded LMDB, or
 * PostgreSQL with --database) and the blob store (the data directory, or --blobs). Used by the
 * service and by the offline commands (gc, user, keys, cache), which therefore work on every
 * backend.
 */
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { tightenDataDir } from '../src/store/private-files.js';
import { prepareDataDir } from '../src/config/data-dir.js';
import { createLogger, type Logger } from '../src/log/logger.js';
import type { Metadata } from './metadata/metadata.js';
import { openEmbeddedMetadata } from './metadata/lmdb/open.js';
import { openPostgresMetadata } from './metadata/postgres/open.js';
import { withSharedMemory } from './cluster/shared-memory.js';

export interface MainStorageConfig {
  dataDir: string;
  /** A directory of its own for blobs (a shared file system); default: the data directory. */
  blobs?: string | undefined;
  /** A PostgreSQL URL; default: the embedded LMDB in the data directory. */
  database?: string | undefined;
  /** The key-encryption key file, required with `database`. */
  secretKeyFile?: string | undefined;
}

export interface MainData {
  store: BlobStore;
  metadata: Metadata;
  /** Where the blobs are, for logs and cluster status. */
  blobsDescription: string;
  /** Whether other replicas may be writing to the same blob store right now. */
  sharedBlobs: boolean;
  /** Directories of the data directory whose permissions had to be narrowed to the owner. */
  tightened: string[];
  close(): Promise<void>;
}

const quiet = createLogger({ level: 'error', write: () => {} });

export async function openMainData(config: MainStorageConfig, logger: Logger = quiet): Promise<MainData> {
  const root = await prepareDataDir(config.dataDir, '--data / OUTPOST_MAIN_DATA_DIR');
  // Owner only (src/store/private-files.ts); directories an older version made wider are narrowed.
  const tightened = await tightenDataDir(root);
  let blobsRoot = root;
  if (config.blobs !== undefined) {
    blobsRoot = await prepareDataDir(config.blobs, '--blobs / OUTPOST_MAIN_BLOBS');
    tightened.push(...(await tightenDataDir(blobsRoot)));
  }
  const store = await FsBlobStore.create(blobsRoot);
  const metadata =
    config.database === undefined
      ? openEmbeddedMetadata(root)
      : withSharedMemory(
          await openPostgresMetadata({ url: config.database, secretKeyFile: config.secretKeyFile, logger }),
        );
  return {
    store,
    metadata,
    blobsDescription: `directory ${blobsRoot}`,
    sharedBlobs: config.blobs !== undefined || config.database !== undefined,
    tightened,
    close: () => metadata.close(),
  };
}
