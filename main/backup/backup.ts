/**
 * @module `outpost main backup --to DIR`: a backup of an embedded main, taken while it serves.
 *
 * Order, for consistency: the metadata snapshot first (LMDB's copy, one read transaction), with
 * garbage collection held from just before it (main/metadata/lmdb/gc-holds.ts); then every blob
 * that snapshot indexes; then the signing keys; then the snapshot takes the place of the previous
 * one in DIR; then `backup.json`, last and atomically. Blobs pushed after the snapshot are not in
 * this backup (the snapshot does not know them); no blob it knows can be collected before it is
 * copied. `backup.json` is removed first, so a DIR whose run did not finish reads as partial.
 *
 * Incremental: a blob already in DIR (from an earlier backup) is not copied again; blobs of DIR
 * that the new snapshot no longer indexes are removed once the new manifest is written.
 */
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../../src/store/blob-store.js';
import type { BlobsLocation } from '../config.js';
import { readVersion } from '../cluster-status.js';
import { openBlobStore } from '../main-data.js';
import { snapshotEmbeddedMetadata, type SnapshotBlob } from '../metadata/lmdb/backup-snapshot.js';
import { copyBlobList, type BlobCopyResult } from './blob-copy.js';
import { backupTargetInvalid, sourceBlobsUnusable } from './errors.js';
import { copyFileHashed, fsyncDirectory, hashFile } from './files.js';
import { FORMAT, FORMAT_VERSION, MANIFEST_FILE, writeManifest, type BackupFile } from './manifest.js';
import { createProgress } from './progress.js';

export interface BackupOptions {
  /** The data directory of the embedded main (absolute). */
  dataDir: string;
  /** Its blobs, when not in the data directory (a directory: S3 is refused before). */
  blobs?: BlobsLocation | undefined;
  /** The backup directory (absolute): absent, empty, or an earlier backup. */
  to: string;
  /** Hard-link blobs instead of copying them, where DIR is on the same file system. */
  link: boolean;
  /** Progress lines (stderr); none when undefined. */
  progress?: ((text: string) => void) | undefined;
  now?: () => number;
}

export interface BackupSummary extends Omit<BlobCopyResult, 'missing' | 'corrupt'> {
  blobs: number;
  blobBytes: number;
  /** Unreferenced blobs of the snapshot whose files were gone: left out (see BackupManifest). */
  missingUnreferenced: number;
  /** Blobs of DIR the snapshot no longer has, removed. */
  removed: number;
  metadataBytes: number;
  files: number;
}

// What an earlier (finished or not) backup leaves in DIR: such a DIR may be backed up into again.
const BACKUP_ENTRIES = new Set([MANIFEST_FILE, 'db', 'db-next', 'keys', 'blobs', 'uploads', 'tmp', 'trash']);
const MISSING_RETRY_MS = 5000;
const LISTED = 5;

/** Two backups into one DIR would remove each other's files: the second is refused. */
const LOCK_FILE = '.backup-lock';

export async function backupEmbeddedMain(options: BackupOptions): Promise<BackupSummary> {
  const { to } = options;
  await checkTarget(to);
  const lock = join(to, LOCK_FILE);
  try {
    await (await open(lock, 'wx', 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw backupTargetInvalid(to, `another backup is writing into it (remove ${LOCK_FILE} if none is)`);
  }
  try {
    return await backupLocked(options);
  } finally {
    await rm(lock, { force: true });
  }
}

async function backupLocked(options: BackupOptions): Promise<BackupSummary> {
  const { dataDir, to, now = Date.now } = options;
  // From here until the new manifest, DIR is a partial backup.
  await rm(join(to, MANIFEST_FILE), { force: true });
  await rm(join(to, 'db-next'), { recursive: true, force: true });
  await fsyncDirectory(to);
  const created = new Date(now()).toISOString();
  const snapshot = await snapshotEmbeddedMetadata(dataDir, join(to, 'db-next'));
  let copy: BlobCopyResult;
  let source: BlobStore | undefined;
  let target: BlobStore | undefined;
  try {
    source = (await openBlobStore(options.blobs ?? { kind: 'directory', path: dataDir }, '--blobs')).store;
    target = (await openBlobStore({ kind: 'directory', path: to }, '--to')).store;
    const total = { blobs: snapshot.blobs.length, bytes: snapshot.blobs.reduce((sum, b) => sum + b.size, 0) };
    const progress = createProgress('backup', total, options.progress);
    copy = await copyBlobList(source, target, snapshot.blobs, {
      link: options.link,
      missingRetryMs: MISSING_RETRY_MS,
      onBlob: (size) => progress.blobDone(size),
    });
    progress.finish();
  } finally {
    await snapshot.release();
  }
  const byDigest = new Map(snapshot.blobs.map((b) => [b.digest, b]));
  const lost = [...copy.corrupt, ...copy.missing.filter((d) => byDigest.get(d)?.referenced)];
  if (lost.length > 0) {
    const missingCount = lost.length - copy.corrupt.length;
    const why = [
      copy.corrupt.length > 0 ? `${copy.corrupt.length} do not match their digest` : '',
      missingCount > 0 ? `${missingCount} have no file` : '',
    ];
    throw sourceBlobsUnusable(
      `${lost.length} blobs that images in ${dataDir} need could not be backed up ` +
        `(${why.filter(Boolean).join(', ')}): ${lost.slice(0, LISTED).join(', ')}` +
        `${lost.length > LISTED ? ', ...' : ''}; ` +
        `the backup in ${to} is partial (no ${MANIFEST_FILE})`,
    );
  }
  const missing = new Set(copy.missing);
  const kept: SnapshotBlob[] = snapshot.blobs.filter((b) => !missing.has(b.digest));
  const files = await copyKeys(dataDir, to);
  await rm(join(to, 'db'), { recursive: true, force: true });
  await rename(join(to, 'db-next'), join(to, 'db'));
  await fsyncDirectory(to);
  const metadata = await hashFile(join(to, 'db', 'data.mdb'));
  const blobBytes = kept.reduce((sum, b) => sum + b.size, 0);
  await writeManifest(to, {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    outpostVersion: readVersion(),
    created,
    metadata: { path: 'db/data.mdb', ...metadata },
    files,
    blobs: kept.map(({ digest, size }) => ({ digest, size })),
    totals: { blobs: kept.length, blobBytes, missingUnreferenced: missing.size },
  });
  const removed = await removeOtherBlobs(target, new Set(kept.map((b) => b.digest)));
  const { copied, linked, present, bytesCopied } = copy;
  return {
    blobs: kept.length,
    blobBytes,
    copied,
    linked,
    present,
    bytesCopied,
    missingUnreferenced: missing.size,
    removed,
    metadataBytes: metadata.size,
    files: files.length,
  };
}

/** Creates DIR, or checks that it is empty or an earlier backup. */
async function checkTarget(to: string): Promise<void> {
  let entries: string[] = [];
  try {
    if (!(await stat(to)).isDirectory()) throw backupTargetInvalid(to, 'exists and is not a directory');
    entries = await readdir(to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const foreign = entries.filter((name) => !BACKUP_ENTRIES.has(name) && !name.startsWith('.'));
  if (foreign.length > 0) {
    throw backupTargetInvalid(
      to,
      `is neither empty nor an outpost backup (it holds ${foreign.slice(0, 3).join(', ')})`,
    );
  }
  await openBlobStore({ kind: 'directory', path: to }, '--to');
}

/**
 * The signing keys (`<data>/keys`: keyring.json and <kid>.pem, 0600): the restored main must sign
 * with the keys edges and clients already trust. Copied after the snapshot. The ring first, then
 * the key files listed after it: a rotation writes the new key file before the ring that names
 * it, so every key the copied ring names is copied; a key added meanwhile is harmless. The lock
 * file of a rotation in progress is not a key.
 */
async function copyKeys(dataDir: string, to: string): Promise<BackupFile[]> {
  const keysDir = join(dataDir, 'keys');
  await rm(join(to, 'keys'), { recursive: true, force: true });
  const files: BackupFile[] = [];
  const copy = async (name: string) => {
    files.push({ path: `keys/${name}`, ...(await copyFileHashed(join(keysDir, name), join(to, 'keys', name))) });
  };
  try {
    await copy('keyring.json');
  } catch (err) {
    // No keys yet (a main that never issued a token): nothing to keep.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw err;
  }
  for (const name of (await readdir(keysDir)).filter((n) => n.endsWith('.pem')).sort()) await copy(name);
  return files;
}

async function removeOtherBlobs(target: BlobStore, keep: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for await (const digest of target.list()) {
    if (keep.has(digest)) continue;
    await target.delete(digest);
    removed++;
  }
  return removed;
}
