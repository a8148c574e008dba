/**
 * @module `outpost main restore --from DIR --data DIR2`: a new data directory from a backup,
 * every byte verified on the way (the metadata and key files against their sha256 in
 * `backup.json`, every blob against its digest).
 *
 * Everything is written into `DIR2.partial-<id>` next to DIR2, which becomes DIR2 by one rename
 * only when all of it is verified: a refused or failed restore leaves no data directory that a
 * main could start on, and removes what it wrote.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openBlobStore } from '../main-data.js';
import { copyBlobList } from './blob-copy.js';
import { backupCorrupt, backupPartial, restoreTargetInvalid } from './errors.js';
import { copyFileHashed, fsyncDirectory } from './files.js';
import {
  MANIFEST_FILE,
  ManifestInvalidError,
  parseManifest,
  type BackupFile,
  type BackupManifest,
} from './manifest.js';
import { createProgress } from './progress.js';

export interface RestoreOptions {
  /** The backup directory (absolute). */
  from: string;
  /** The data directory to create (absolute): absent or empty. */
  dataDir: string;
  progress?: ((text: string) => void) | undefined;
}

export interface RestoreSummary {
  blobs: number;
  blobBytes: number;
  files: number;
  created: string;
  outpostVersion: string;
}

const LISTED = 5;

export async function restoreEmbeddedMain(options: RestoreOptions): Promise<RestoreSummary> {
  const { from, dataDir } = options;
  const manifest = await readBackupManifest(from);
  await checkTarget(dataDir);
  const partial = `${dataDir}.partial-${randomUUID().slice(0, 8)}`;
  await mkdir(partial, { recursive: true, mode: 0o700 });
  try {
    for (const file of [manifest.metadata, ...manifest.files]) await restoreFile(from, partial, file);
    const source = (await openBlobStore({ kind: 'directory', path: from }, '--from')).store;
    const target = (await openBlobStore({ kind: 'directory', path: partial }, '--data')).store;
    const progress = createProgress(
      'restore',
      { blobs: manifest.totals.blobs, bytes: manifest.totals.blobBytes },
      options.progress,
    );
    const copy = await copyBlobList(source, target, manifest.blobs, { onBlob: (size) => progress.blobDone(size) });
    progress.finish();
    const bad = [
      ...copy.corrupt.map((d) => `blob ${d} does not match its digest`),
      ...copy.missing.map((d) => `blob ${d} is missing`),
    ];
    if (bad.length > 0)
      throw backupCorrupt(from, bad.slice(0, LISTED).join('; ') + (bad.length > LISTED ? '; ...' : ''));
    // An empty DIR2 is replaced by the rename; anything that appeared in it meanwhile stops it.
    await rename(partial, dataDir);
    await fsyncDirectory(dirname(dataDir));
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  return {
    blobs: manifest.totals.blobs,
    blobBytes: manifest.totals.blobBytes,
    files: manifest.files.length + 1,
    created: manifest.created,
    outpostVersion: manifest.outpostVersion,
  };
}

async function readBackupManifest(from: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(from, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await stat(from).catch(() => {
        throw backupCorrupt(from, 'no such directory');
      });
      throw backupPartial(from);
    }
    throw err;
  }
  try {
    return parseManifest(JSON.parse(text));
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof ManifestInvalidError) {
      throw backupCorrupt(from, `${MANIFEST_FILE}: ${err.message}`);
    }
    throw err;
  }
}

async function checkTarget(dataDir: string): Promise<void> {
  try {
    if (!(await stat(dataDir)).isDirectory()) throw restoreTargetInvalid(dataDir, 'exists and is not a directory');
    if ((await readdir(dataDir)).length > 0) {
      throw restoreTargetInvalid(dataDir, 'is not empty: restore only into an empty or new data directory');
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function restoreFile(from: string, partial: string, file: BackupFile): Promise<void> {
  let copied;
  try {
    copied = await copyFileHashed(join(from, file.path), join(partial, file.path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw backupCorrupt(from, `${file.path} is missing`);
    throw err;
  }
  if (copied.sha256 !== file.sha256 || copied.size !== file.size) {
    throw backupCorrupt(from, `${file.path} does not match its sha256 in ${MANIFEST_FILE}`);
  }
}
