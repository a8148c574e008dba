/**
 * @module `outpost main backup --to DIR [--link] [--quiet]` and `outpost main restore --from DIR
 * --data DIR2 [--quiet]`: flags in, the one mapping of backup errors to messages and exit statuses
 * out. The work is main/backup/. Progress goes to stderr, the summary to stdout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes } from '../../src/config/units.js';
import { DataDirError } from '../../src/config/data-dir.js';
import { backupEmbeddedMain } from '../backup/backup.js';
import { BackupError, backupUnsupported } from '../backup/errors.js';
import { restoreEmbeddedMain } from '../backup/restore.js';
import type { MainStorageConfig } from '../main-data.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface BackupCommand {
  command: 'backup' | 'restore';
  args: string[];
  storage: MainStorageConfig;
  /** Whether --data (or OUTPOST_MAIN_DATA_DIR) was given: restore never picks the default. */
  dataGiven: boolean;
  to?: string | undefined;
  from?: string | undefined;
  link: boolean;
  quiet: boolean;
}

const DOCS = 'see "Backup and restore" in the README';

export async function runBackupCommand(command: BackupCommand, io: CliIo): Promise<number> {
  const name = `outpost main ${command.command}`;
  const fail = (message: string, status: number = EXIT.FAILED) => {
    io.err(`${name}: ${message}\n`);
    return status;
  };
  if (command.args.length > 0) return fail(`unexpected argument "${command.args[0]}"`, EXIT.USAGE);
  const { storage } = command;
  const progress = command.quiet ? undefined : io.err;
  try {
    if (storage.database !== undefined || storage.blobs?.kind === 's3') {
      throw backupUnsupported(
        'backs up the embedded store (LMDB and a blob directory) only; with PostgreSQL and S3 use pg_dump ' +
          `and the bucket's versioning or replication, and keep the --secret-key-file (${DOCS})`,
      );
    }
    if (command.command === 'backup') {
      if (command.to === undefined) return fail('--to DIR is required', EXIT.USAGE);
      const dataDir = resolve(storage.dataDir);
      if (!existsSync(join(dataDir, 'db'))) return fail(`no embedded installation in ${dataDir} (pass --data)`);
      const started = Date.now();
      const s = await backupEmbeddedMain({
        dataDir,
        blobs: storage.blobs,
        to: resolve(command.to),
        link: command.link,
        progress,
      });
      const seconds = (Date.now() - started) / 1000;
      io.out(
        `backup of ${dataDir} in ${resolve(command.to)}: ${s.blobs} blobs (${formatBytes(s.blobBytes)}): ` +
          `${s.copied} copied (${formatBytes(s.bytesCopied)}), ${s.linked} linked, ${s.present} already there, ` +
          `${s.removed} removed; metadata ${formatBytes(s.metadataBytes)}, ${s.files} key files; ` +
          `${seconds.toFixed(1)} s\n`,
      );
      if (s.missingUnreferenced > 0) {
        io.err(`${name}: ${s.missingUnreferenced} unreferenced blobs had no file (uploads in progress): left out\n`);
      }
      return EXIT.OK;
    }
    if (command.from === undefined) return fail('--from DIR is required', EXIT.USAGE);
    if (!command.dataGiven) return fail('--data DIR2 is required: the new data directory to restore into', EXIT.USAGE);
    const dataDir = resolve(storage.dataDir);
    const s = await restoreEmbeddedMain({ from: resolve(command.from), dataDir, progress });
    io.out(
      `restored ${s.blobs} blobs (${formatBytes(s.blobBytes)}) and ${s.files} files, all verified, into ${dataDir} ` +
        `(backup of ${s.created}, outpost ${s.outpostVersion})\n`,
    );
    return EXIT.OK;
  } catch (err) {
    if (err instanceof BackupError || err instanceof DataDirError) return fail(err.message);
    throw err;
  }
}
