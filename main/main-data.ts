/**
 * @module Opens main's storage from its configuration: the metadata backend (embedded LMDB, or
 * PostgreSQL with --database) and the blob store (the data directory, or --blobs). Used by the
 * service and by the offline commands (gc, user, keys, cache), which therefore work on every
 * backend.
 */
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import { S3BlobStore } from '../src/store/s3-blob-store.js';
import { formatS3Location } from '../src/store/s3-location.js';
import type { Digest } from '../src/oci/digest.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { tightenDataDir } from '../src/store/private-files.js';
import { prepareDataDir } from '../src/config/data-dir.js';
import { createLogger, type Logger } from '../src/log/logger.js';
import type { Metadata } from './metadata/metadata.js';
import type { BlobsLocation } from './config.js';
import { openEmbeddedMetadata } from './metadata/lmdb/open.js';
import { openPostgresMetadata } from './metadata/postgres/open.js';

export interface MainStorageConfig {
  dataDir: string;
  /** A place of its own for blobs (a shared file system, or S3); default: the data directory. */
  blobs?: BlobsLocation | undefined;
  /** A PostgreSQL URL; default: the embedded LMDB in the data directory. */
  database?: string | undefined;
  /** The key-encryption key file, required with `database`. */
  secretKeyFile?: string | undefined;
}

export interface MainData {
  store: BlobStore;
  /** A short-lived URL that serves a blob without main, when the blobs are on S3 (--blobs-redirect). */
  presignBlob?: (digest: Digest, expiresInSeconds: number) => Promise<string>;
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
  const { blobs } = config;
  let store: BlobStore;
  let s3: S3BlobStore | undefined;
  let blobsDescription: string;
  if (blobs?.kind === 's3') {
    // Checks bucket and credentials now: a wrong setting fails the start, not the first push.
    store = s3 = await S3BlobStore.open(blobs.location);
    // An S3 location holds no secret (credentials come from the SDK's chain): shown as written.
    blobsDescription = formatS3Location(blobs.location);
  } else {
    let blobsRoot = root;
    if (blobs !== undefined) {
      blobsRoot = await prepareDataDir(blobs.path, '--blobs / OUTPOST_MAIN_BLOBS');
      tightened.push(...(await tightenDataDir(blobsRoot)));
    }
    store = await FsBlobStore.create(blobsRoot);
    blobsDescription = `directory ${blobsRoot}`;
  }
  let metadata: Metadata;
  try {
    metadata =
      config.database === undefined
        ? openEmbeddedMetadata(root)
        : await openPostgresMetadata({ url: config.database, secretKeyFile: config.secretKeyFile, logger });
  } catch (err) {
    s3?.close();
    throw err;
  }
  return {
    store,
    ...(s3 && { presignBlob: (digest: Digest, expiresInSeconds: number) => s3.presignGet(digest, expiresInSeconds) }),
    metadata,
    blobsDescription,
    sharedBlobs: blobs !== undefined || config.database !== undefined,
    tightened,
    async close() {
      await metadata.close();
      s3?.close();
    },
  };
}

/** Where `outpost main migrate --to-blobs` copies blobs: a directory (object storage once main's config accepts it). */
export class UnsupportedBlobLocationError extends Error {
  readonly code = 'OUTPOST_BLOB_LOCATION_UNSUPPORTED';
  constructor(location: string) {
    super(`--to-blobs ${location}: expected a directory (object storage URLs are not supported yet)`);
    this.name = 'UnsupportedBlobLocationError';
  }
}

/**
 * Opens the blob store at `location` (`--to-blobs`): the one place a migration's target store
 * is chosen, so that an s3:// URL is one more case here (TODO(#10)).
 */
export async function openBlobStoreAt(location: string): Promise<{ store: BlobStore; description: string }> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new UnsupportedBlobLocationError(location);
  const dir = await prepareDataDir(location, '--to-blobs');
  await tightenDataDir(dir);
  return { store: await FsBlobStore.create(dir), description: `directory ${dir}` };
}
