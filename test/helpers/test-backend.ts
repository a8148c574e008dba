/**
 * The storage a test main runs on, chosen by the vitest project: the embedded default (LMDB and
 * blobs in the data directory), or, in the `services-postgres` project whose global setup provides
 * `postgresAdminUrl` (test/helpers/postgres-global-setup.ts), a fresh PostgreSQL database, a
 * key-encryption key file and a blob directory of its own (`--blobs`), as replicas run.
 *
 * The choice is recorded in the data directory (test-backend.json), so that a main restarted on
 * the same data directory finds the same database again. S3 is meant to become one more kind here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { MainFlags } from '../../main/config.js';
import { createDatabase, dropDatabase } from './postgres.js';

export type TestBackendKind = 'embedded' | 'postgres';

export interface TestBackend {
  readonly kind: TestBackendKind;
  /** Flags for `loadMainConfig` (or `--database`, `--blobs`, `--secret-key-file` for the CLI). */
  readonly flags: Pick<MainFlags, 'database' | 'blobs' | 'secretKeyFile'>;
  /** Where the blob store keeps its files (blobs/, uploads/, tmp/). */
  readonly blobsDir: string;
  /** Drops what lives outside the data directory (the database). */
  remove(): Promise<void>;
}

const RECORD = 'test-backend.json';

/** The kind of backend the current vitest project runs the suites on. */
export function testBackendKind(): TestBackendKind {
  return inject('postgresAdminUrl') === undefined ? 'embedded' : 'postgres';
}

/** The backend of `dataDir`: the one recorded there by an earlier start, else a new one. */
export async function prepareTestBackend(dataDir: string): Promise<TestBackend> {
  const adminUrl = inject('postgresAdminUrl');
  if (adminUrl === undefined) {
    return { kind: 'embedded', flags: {}, blobsDir: dataDir, remove: async () => {} };
  }
  const record = join(dataDir, RECORD);
  let databaseUrl: string;
  if (existsSync(record)) {
    databaseUrl = (JSON.parse(await readFile(record, 'utf8')) as { database: string }).database;
  } else {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    databaseUrl = await createDatabase(adminUrl);
    await writeFile(join(dataDir, 'test-kek'), randomBytes(32).toString('base64'), { mode: 0o600 });
    await writeFile(record, JSON.stringify({ database: databaseUrl }), { mode: 0o600 });
  }
  const blobsDir = join(dataDir, 'shared-blobs');
  return {
    kind: 'postgres',
    flags: { database: databaseUrl, blobs: blobsDir, secretKeyFile: join(dataDir, 'test-kek') },
    blobsDir,
    remove: () => dropDatabase(adminUrl, databaseUrl),
  };
}
