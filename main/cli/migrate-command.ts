/**
 * @module `outpost main migrate --to-database URL [--to-blobs DIR|URL]`: moves a stopped embedded
 * installation (LMDB and the blob directory) into PostgreSQL and a shared blob store, keeping
 * its users, tokens, signing keys and images. Resumable: run it again after any failure. The
 * metadata goes first (a database holding another installation is refused before a byte is
 * copied), then the blobs; what it did is printed on stderr as it goes, the summary on stdout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes } from '../../src/config/units.js';
import { copyBlobs } from '../../src/store/copy-blobs.js';
import { BlobStoreUnavailableError } from '../../src/store/errors.js';
import { InvalidBlobLocationError, openBlobStore, openBlobStoreAt } from '../main-data.js';
import type { BlobsLocation } from '../config.js';
import { openLmdbMigrationSource } from '../metadata/lmdb/migration-source.js';
import { EmptySourceError, MigrationCountMismatchError, migrateMetadata } from '../metadata/migrate.js';
import type { StepName } from '../metadata/migration.js';
import {
  ForeignInstallationError,
  MigrationInProgressError,
  openPostgresMigrationTarget,
} from '../metadata/postgres/migration-target.js';
import { MissingSecretKeyFileError } from '../metadata/postgres/open.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface MigrateCommand {
  args: string[];
  dataDir: string;
  /** Where the source's blobs are (its --blobs), default the data directory. */
  blobs?: BlobsLocation | undefined;
  toDatabase?: string | undefined;
  toBlobs?: string | undefined;
  secretKeyFile?: string | undefined;
  /** Tests cut a run short here (see MetadataMigrationOptions.beforeBatch). */
  beforeBatch?: (step: StepName, batch: number) => void | Promise<void>;
  batchSize?: number;
}

// Failures the operator fixes (wrong target, wrong flags): a message, exit status 1, no stack.
const EXPECTED = [
  ForeignInstallationError,
  MigrationInProgressError,
  MigrationCountMismatchError,
  EmptySourceError,
  MissingSecretKeyFileError,
  InvalidBlobLocationError,
  BlobStoreUnavailableError,
];

export async function runMigrateCommand(command: MigrateCommand, io: CliIo): Promise<number> {
  const fail = (message: string, status: number = EXIT.FAILED) => {
    io.err(`outpost main migrate: ${message}\n`);
    return status;
  };
  if (command.args.length > 0) return fail(`unexpected argument "${command.args[0]}"`, EXIT.USAGE);
  if (command.toDatabase === undefined) return fail('--to-database URL is required', EXIT.USAGE);
  const dataDir = resolve(command.dataDir);
  if (!existsSync(join(dataDir, 'db'))) return fail(`no embedded installation in ${dataDir} (pass --data)`);
  try {
    return await migrate(command, command.toDatabase, dataDir, io);
  } catch (err) {
    if (EXPECTED.some((type) => err instanceof type)) return fail((err as Error).message);
    throw err;
  }
}

async function migrate(command: MigrateCommand, toDatabase: string, dataDir: string, io: CliIo): Promise<number> {
  const target = await openPostgresMigrationTarget(toDatabase, command.secretKeyFile);
  const source = openLmdbMigrationSource(dataDir);
  try {
    io.err(`copying the metadata of ${dataDir} into ${target.description}\n`);
    const result = await migrateMetadata(source, target, {
      ...(command.batchSize !== undefined && { batchSize: command.batchSize }),
      ...(command.beforeBatch && { beforeBatch: command.beforeBatch }),
      onProgress: (step, copied, total) => io.err(`  ${step}: ${copied} of ${total}\n`),
    });
    const rows = result.counts.reduce((sum, c) => sum + c.copied, 0);
    io.out(
      `metadata: ${rows} records in ${result.counts.length} tables, verified${result.resumed ? ' (resumed)' : ''}\n`,
    );
  } finally {
    await source.close();
    await target.close();
  }
  if (command.toBlobs === undefined) {
    const where =
      command.blobs?.kind === 'directory' ? command.blobs.path : command.blobs ? 'the same --blobs' : dataDir;
    io.out(`blobs: not copied (no --to-blobs); serve them with --blobs ${where}\n`);
    return EXIT.OK;
  }
  const from = await openBlobStore(command.blobs ?? { kind: 'directory', path: dataDir }, '--blobs');
  let blobs: Awaited<ReturnType<typeof copyBlobs>>;
  try {
    const to = await openBlobStoreAt(command.toBlobs, '--to-blobs');
    try {
      io.err(`copying blobs from ${from.description} to ${to.description}\n`);
      let reported = 0;
      blobs = await copyBlobs(from.store, to.store, (p) => {
        const seen = p.copied + p.skipped + p.corrupt.length;
        if (seen - reported < 100) return;
        reported = seen;
        io.err(`  blobs: ${p.copied} copied (${formatBytes(p.bytes)}), ${p.skipped} already there\n`);
      });
    } finally {
      to.close();
    }
  } finally {
    from.close();
  }
  io.out(
    `blobs: ${blobs.copied} copied (${formatBytes(blobs.bytes)}), ${blobs.skipped} already there, ` +
      `${blobs.corrupt.length} corrupt\n`,
  );
  if (blobs.corrupt.length === 0) return EXIT.OK;
  for (const digest of blobs.corrupt) io.err(`outpost main migrate: corrupt blob not copied: ${digest}\n`);
  return EXIT.FAILED;
}
