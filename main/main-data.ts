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
import { parseBlobsLocation, type BlobsLocation } from './config.js';
import { openEmbeddedMetadata } from './metadata/lmdb/open.js';
import { openPostgresMetadata } from './metadata/postgres/open.js';
import { withSharedMemory } from './cluster/shared-memory.js';

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
  const opened = await openBlobStore(config.blobs ?? { kind: 'directory', path: root }, '--blobs / OUTPOST_MAIN_BLOBS');
  const { store, s3, description: blobsDescription } = opened;
  if (opened.tightened) tightened.push(...opened.tightened);
  let metadata: Metadata;
  try {
    metadata = withSharedMemory(
      config.database === undefined
        ? openEmbeddedMetadata(root)
        : await openPostgresMetadata({ url: config.database, secretKeyFile: config.secretKeyFile, logger }),
    );
  } catch (err) {
    s3?.close();
    throw err;
  }
  return {
    store,
    ...(s3 && { presignBlob: (digest: Digest, expiresInSeconds: number) => s3.presignGet(digest, expiresInSeconds) }),
    metadata,
    blobsDescription,
    sharedBlobs: config.blobs !== undefined || config.database !== undefined,
    tightened,
    async close() {
      await metadata.close();
      s3?.close();
    },
  };
}

export interface OpenedBlobStore {
  store: BlobStore;
  /** Where it is, for logs and messages (an S3 location holds no secret: credentials come from the SDK's chain). */
  description: string;
  /** Set for S3: presigned URLs, and connections to release. */
  s3?: S3BlobStore;
  /** Directories whose permissions had to be narrowed to the owner. */
  tightened?: string[];
  close(): void;
}

/** Opens a blob store: a directory (prepared and kept private) or an S3 bucket (checked now, not at the first push). */
export async function openBlobStore(location: BlobsLocation, setting: string): Promise<OpenedBlobStore> {
  if (location.kind === 's3') {
    const s3 = await S3BlobStore.open(location.location);
    return { store: s3, s3, description: formatS3Location(location.location), close: () => s3.close() };
  }
  const dir = await prepareDataDir(location.path, setting);
  const tightened = await tightenDataDir(dir);
  return { store: await FsBlobStore.create(dir), description: `directory ${dir}`, tightened, close: () => {} };
}

/** A blob location given on the command line (`outpost main migrate --to-blobs`) that is neither a directory nor S3. */
export class InvalidBlobLocationError extends Error {
  readonly code = 'OUTPOST_BLOB_LOCATION_INVALID';
  constructor(setting: string, reason: string) {
    super(`${setting}: ${reason}`);
    this.name = 'InvalidBlobLocationError';
  }
}

/** Opens the blob store named by `text` (a directory or s3://...), as `setting` gave it. */
export async function openBlobStoreAt(text: string, setting: string): Promise<OpenedBlobStore> {
  let location: BlobsLocation;
  try {
    location = parseBlobsLocation(text);
  } catch (err) {
    throw new InvalidBlobLocationError(setting, (err as Error).message);
  }
  return openBlobStore(location, setting);
}
