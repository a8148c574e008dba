/**
 * @module `backup.json`: what a backup holds and the checksums a restore verifies. Written last
 * and atomically (temporary name, fsync, rename, fsync of the directory), so a directory without
 * it is a backup that did not finish, which restore refuses.
 *
 *	<backup>
 *	├── backup.json              this manifest (written last)
 *	├── db/data.mdb              the LMDB copy (mode 0600: password and token hashes)
 *	├── keys/                    signing keys (keyring.json, <kid>.pem, mode 0600)
 *	└── blobs/<alg>/<xx>/<hex>   the blobs, laid out as in a data directory
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../../src/oci/digest.js';
import { fsyncDirectory } from './files.js';

export const MANIFEST_FILE = 'backup.json';
export const FORMAT = 'outpost-backup';
export const FORMAT_VERSION = 1;

/** A file of the backup other than blobs, with the checksum restore verifies. */
export interface BackupFile {
  /** Relative to the backup and to the data directory, with `/`. */
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof FORMAT;
  formatVersion: typeof FORMAT_VERSION;
  outpostVersion: string;
  /** ISO 8601, when the metadata snapshot was taken. */
  created: string;
  /** The LMDB copy. */
  metadata: BackupFile;
  /** Signing keys and other files of the data directory a restore needs. */
  files: BackupFile[];
  /** Every blob of the snapshot that the backup holds. */
  blobs: { digest: Digest; size: number }[];
  totals: {
    blobs: number;
    blobBytes: number;
    /**
     * Blobs indexed in the snapshot that no manifest referenced and whose file was gone (an
     * upload that never linked it): not in the backup; the restored main drops their entries.
     */
    missingUnreferenced: number;
  };
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const temp = join(dir, `.${MANIFEST_FILE}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(manifest, null, 1)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, MANIFEST_FILE));
  await fsyncDirectory(dir);
}

/** Why `backup.json` cannot be used; the caller names the backup. */
export class ManifestInvalidError extends Error {
  readonly code = 'OUTPOST_BACKUP_MANIFEST_INVALID';
  constructor(reason: string) {
    super(reason);
    this.name = 'ManifestInvalidError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// Relative, no `..`, no empty part: a manifest cannot make restore write outside its target.
const SAFE_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function parseFile(value: unknown, what: string): BackupFile {
  if (!isObject(value) || typeof value.path !== 'string' || !SAFE_PATH.test(value.path)) {
    throw new ManifestInvalidError(`${what}: no valid path`);
  }
  if (!isSize(value.size) || typeof value.sha256 !== 'string' || !SHA256_HEX.test(value.sha256)) {
    throw new ManifestInvalidError(`${what} ${value.path}: no valid size and sha256`);
  }
  return { path: value.path, size: value.size, sha256: value.sha256 };
}

/** Checks the shape of a parsed `backup.json`; throws `ManifestInvalidError` naming what is wrong. */
export function parseManifest(value: unknown): BackupManifest {
  if (!isObject(value) || value.format !== FORMAT) throw new ManifestInvalidError('not an outpost backup manifest');
  if (value.formatVersion !== FORMAT_VERSION) {
    throw new ManifestInvalidError(
      `format version ${String(value.formatVersion)}; this outpost reads version ${FORMAT_VERSION}`,
    );
  }
  if (typeof value.outpostVersion !== 'string' || typeof value.created !== 'string') {
    throw new ManifestInvalidError('no outpostVersion or created');
  }
  const metadata = parseFile(value.metadata, 'metadata');
  if (!Array.isArray(value.files) || !Array.isArray(value.blobs) || !isObject(value.totals)) {
    throw new ManifestInvalidError('no files, blobs or totals');
  }
  const files = value.files.map((f, i) => parseFile(f, `files[${i}]`));
  const blobs = value.blobs.map((b, i) => {
    if (!isObject(b) || typeof b.digest !== 'string' || !isDigest(b.digest) || !isSize(b.size)) {
      throw new ManifestInvalidError(`blobs[${i}]: no valid digest and size`);
    }
    return { digest: b.digest as Digest, size: b.size };
  });
  const { totals } = value;
  const blobBytes = blobs.reduce((sum, b) => sum + b.size, 0);
  if (totals.blobs !== blobs.length || totals.blobBytes !== blobBytes || !isSize(totals.missingUnreferenced)) {
    throw new ManifestInvalidError('totals do not match the blobs listed');
  }
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    outpostVersion: value.outpostVersion,
    created: value.created,
    metadata,
    files,
    blobs,
    totals: { blobs: blobs.length, blobBytes, missingUnreferenced: totals.missingUnreferenced },
  };
}
