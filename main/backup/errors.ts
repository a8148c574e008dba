/**
 * @module Why a backup or a restore was refused or failed: each with a stable `code` and a
 * message that names the directory or file to look at (main/cli/backup-commands.ts prints it).
 */

export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

/** `--to` is a directory that holds something else than an outpost backup. */
export const backupTargetInvalid = (dir: string, reason: string) =>
  new BackupError('OUTPOST_BACKUP_TARGET_INVALID', `${dir}: ${reason}`);

/** The embedded backend only: PostgreSQL and S3 have backups of their own. */
export const backupUnsupported = (reason: string) => new BackupError('OUTPOST_BACKUP_UNSUPPORTED', reason);

/** Blobs that manifests of the snapshot reference could not be copied: the backup would not restore. */
export const sourceBlobsUnusable = (message: string) => new BackupError('OUTPOST_BACKUP_SOURCE_BLOBS', message);

/** The backup has no `backup.json`: it stopped before it finished (or is no backup). */
export const backupPartial = (dir: string) =>
  new BackupError(
    'OUTPOST_BACKUP_PARTIAL',
    `${dir} has no backup.json: it is not a finished backup (one that stopped before its end has none)`,
  );

/** A file of the backup is missing or does not match its checksum. */
export const backupCorrupt = (dir: string, what: string) =>
  new BackupError('OUTPOST_BACKUP_CORRUPT', `backup ${dir} is corrupt: ${what}`);

/** `--data` of a restore exists and is not an empty directory. */
export const restoreTargetInvalid = (dir: string, reason: string) =>
  new BackupError('OUTPOST_RESTORE_TARGET_INVALID', `${dir}: ${reason}`);
