/**
 * The storage a test main runs on, chosen by the vitest project: the embedded default (LMDB and
 * blobs in the data directory), or, in the `services-postgres` project whose global setup provides
 * `postgresAdminUrl` (test/helpers/postgres-global-setup.ts), a fresh PostgreSQL database, a
 * key-encryption key file and a blob directory of its own (`--blobs`), as replicas run.
 *
 * What the backend needs besides the data directory lives next to it, in `<dataDir>-backend/`
 * (its database's URL, the key file, the blob directory), so that a main or a command run again
 * on the same data directory finds the same database, and the data directory holds only what main
 * wrote there. S3 is meant to become one more kind here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { MainFlags } from '../../main/config.js';
import type { MainStorageConfig } from '../../main/main-data.js';
import { createDatabase, dropDatabase } from './postgres.js';

export type TestBackendKind = 'embedded' | 'postgres';

export interface TestBackend {
  readonly kind: TestBackendKind;
  /** Flags for `loadMainConfig` (or `--database`, `--blobs`, `--secret-key-file` for the CLI). */
  readonly flags: Pick<MainFlags, 'database' | 'blobs' | 'secretKeyFile'>;
  /** The same settings as main/main-data.ts `openMainData` takes them (tests that open the storage themselves). */
  readonly storage: Omit<MainStorageConfig, 'dataDir'>;
  /** Where the blob store keeps its files (blobs/, uploads/, tmp/). */
  readonly blobsDir: string;
  /** Drops the database and removes `<dataDir>-backend/`; the data directory is the caller's. */
  remove(): Promise<void>;
}

/** The backend of `dataDir`: the one an earlier start prepared next to it, else a new one. */
export async function prepareTestBackend(dataDir: string): Promise<TestBackend> {
  const adminUrl = inject('postgresAdminUrl');
  if (adminUrl === undefined) {
    return { kind: 'embedded', flags: {}, storage: {}, blobsDir: dataDir, remove: async () => {} };
  }
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
  const blobsDir = join(home, 'blobs');
  return {
    kind: 'postgres',
    flags: { database: databaseUrl, blobs: blobsDir, secretKeyFile },
    storage: { database: databaseUrl, blobs: { kind: 'directory', path: blobsDir }, secretKeyFile },
    blobsDir,
    async remove() {
      await dropDatabase(adminUrl, databaseUrl);
      await rm(home, { recursive: true, force: true });
    },
  };
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
