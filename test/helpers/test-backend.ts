/**
 * The storage a test main runs on, chosen by the vitest project: the embedded default (LMDB and
 * blobs in the data directory), or, in the `services-postgres` project whose global setup provides
 * `postgresAdminUrl` (test/helpers/postgres-global-setup.ts), a fresh PostgreSQL database, a
 * key-encryption key file and a blob directory of its own (`--blobs`), as replicas run; in the
 * `services-s3` project, which also provides `s3Server` (test/helpers/s3-global-setup.ts), the
 * blobs go to a fresh bucket of that Ceph RGW instead (`--blobs s3://BUCKET/main?endpoint=..`).
 *
 * What the backend needs besides the data directory lives next to it, in `<dataDir>-backend/`
 * (its database's URL, the key file, the blob directory or the bucket's name), so that a main or a
 * command run again on the same data directory finds the same database and blobs, and the data
 * directory holds only what main wrote there.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { parseBlobsLocation, type MainFlags } from '../../main/config.js';
import type { MainStorageConfig } from '../../main/main-data.js';
import { type BlobArea, deleteBucket, directoryBlobArea, s3BlobArea } from './blob-area.js';
import { createDatabase, dropDatabase } from './postgres.js';
import type { ProvidedS3Server } from './s3-global-setup.js';

export type TestBackendKind = 'embedded' | 'postgres' | 'postgres-s3';

export interface TestBackend {
  readonly kind: TestBackendKind;
  /** Flags for `loadMainConfig` (or `--database`, `--blobs`, `--secret-key-file` for the CLI). */
  readonly flags: Pick<MainFlags, 'database' | 'blobs' | 'secretKeyFile'>;
  /** The same settings as main/main-data.ts `openMainData` takes them (tests that open the storage themselves). */
  readonly storage: Omit<MainStorageConfig, 'dataDir'>;
  /** What the blob store holds, seen from outside (files of a directory, objects of a bucket). */
  readonly blobArea: BlobArea;
  /** Variables a spawned main needs besides its flags (the S3 credentials). */
  readonly env: Readonly<Record<string, string>>;
  /** Drops the database (and the bucket), removes `<dataDir>-backend/`; the data directory is the caller's. */
  remove(): Promise<void>;
}

/** The backend of `dataDir`: the one an earlier start prepared next to it, else a new one. */
export async function prepareTestBackend(dataDir: string): Promise<TestBackend> {
  const adminUrl = inject('postgresAdminUrl');
  if (adminUrl === undefined) {
    return {
      kind: 'embedded',
      flags: {},
      storage: {},
      blobArea: directoryBlobArea(dataDir),
      env: {},
      remove: async () => {},
    };
  }
  const s3 = inject('s3Server');
  const home = `${dataDir.replace(/\/+$/, '')}-backend`;
  const record = join(home, 'database-url');
  const secretKeyFile = join(home, 'kek');
  let databaseUrl: string;
  if (existsSync(record)) {
    databaseUrl = await readFile(record, 'utf8');
  } else {
    await mkdir(home, { recursive: true, mode: 0o700 });
    databaseUrl = await createDatabase(adminUrl);
    await writeFile(secretKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    await writeFile(record, databaseUrl, { mode: 0o600 });
  }
  const common = { database: databaseUrl, secretKeyFile };
  const removeHome = async () => {
    await dropDatabase(adminUrl, databaseUrl);
    await rm(home, { recursive: true, force: true });
  };
  if (s3 !== undefined) {
    const client = s3Client(s3);
    const bucket = await recordedBucket(join(home, 'bucket'), client);
    const blobs = `s3://${bucket}/${S3_PREFIX}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`;
    return {
      kind: 'postgres-s3',
      flags: { ...common, blobs },
      storage: { ...common, blobs: parseBlobsLocation(blobs) },
      blobArea: s3BlobArea(client, bucket, S3_PREFIX),
      env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
      async remove() {
        await deleteBucket(client, bucket);
        await removeHome();
      },
    };
  }
  const blobsDir = join(home, 'blobs');
  return {
    kind: 'postgres',
    flags: { ...common, blobs: blobsDir },
    storage: { ...common, blobs: { kind: 'directory', path: blobsDir } },
    blobArea: directoryBlobArea(blobsDir),
    env: {},
    remove: removeHome,
  };
}

// Under a prefix, not at the bucket's root: the store must keep to it (v2-names.test.ts looks).
const S3_PREFIX = 'main';

let client: S3Client | undefined;
/** One client per worker for the buckets' set-up and inspection. */
function s3Client(server: ProvidedS3Server): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  client ??= new S3Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey }, forcePathStyle: true });
  return client;
}

/** The bucket recorded in `record`, or a new one recorded there. */
async function recordedBucket(record: string, s3: S3Client): Promise<string> {
  if (existsSync(record)) return readFile(record, 'utf8');
  const bucket = `test-${randomBytes(6).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await writeFile(record, bucket, { mode: 0o600 });
  return bucket;
}

/** The backend's settings as `outpost main` command-line flags (in process or spawned). */
export function backendArgs(backend: TestBackend): string[] {
  const { database, blobs, secretKeyFile } = backend.flags;
  return [
    ...(database !== undefined ? ['--database', database] : []),
    ...(blobs !== undefined ? ['--blobs', blobs] : []),
    ...(secretKeyFile !== undefined ? ['--secret-key-file', secretKeyFile] : []),
  ];
}
