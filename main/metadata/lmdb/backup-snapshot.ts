/**
 * @module A consistent copy of the embedded metadata (`<data>/db`) while main serves, and the
 * list of blobs that copy holds, for `outpost main backup` (main/backup/backup.ts).
 *
 * The copy is LMDB's own (`mdb_env_copy2` through lmdb-js `backup()`): it reads the environment
 * in one read transaction, so it is the state after some commit and never half of one, whatever
 * main writes meanwhile. Not compacted: compaction fails on an environment that leaked a page,
 * and the copy only holds pages up to the last one in use anyway.
 *
 * Before the copy, garbage collection is held (gc-holds.ts) until `release()`: every blob the
 * copy lists stays in the store until the backup has copied it.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openLmdb, prefixRange } from '../../../src/store/lmdb.js';
import type { Digest } from '../../../src/oci/digest.js';
import { openMainEnvironment } from './environment.js';
import { openGcHolds } from './gc-holds.js';
import { openRegistryTables } from './registry-tables.js';

/** How long a hold lasts unless renewed; renewed four times as often. */
const HOLD_MS = 2 * 60_000;

export interface SnapshotBlob {
  digest: Digest;
  size: number;
  /** A manifest of the snapshot references it (else it is an upload's or awaits collection). */
  referenced: boolean;
}

export interface MetadataSnapshot {
  /** The copy's file: `<dir>/data.mdb`. */
  file: string;
  /** Every blob the copy's index holds, in digest order. */
  blobs: SnapshotBlob[];
  /** Ends the hold on garbage collection and closes the environment. */
  release(): Promise<void>;
}

/**
 * Copies the metadata of `dataDir` into `dir` (created; must not exist or be empty), holding
 * garbage collection until `release()`.
 */
export async function snapshotEmbeddedMetadata(dataDir: string, dir: string): Promise<MetadataSnapshot> {
  const env = openMainEnvironment(join(dataDir, 'db'));
  const holds = openGcHolds(env.root);
  const holder = randomUUID();
  const hold = () => holds.put(holder, { until: Date.now() + HOLD_MS });
  let renewal: NodeJS.Timeout | undefined;
  const release = async () => {
    clearInterval(renewal);
    await holds.remove(holder).catch(() => {});
    await env.close();
  };
  try {
    // Committed (and so serialized after any collection in progress) before the copy reads.
    await hold();
    renewal = setInterval(() => void hold().catch(() => {}), HOLD_MS / 4);
    renewal.unref();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await env.root.backup(dir, false);
    const file = join(dir, 'data.mdb');
    // LMDB creates the copy with the process umask; it holds password hashes.
    await chmod(file, 0o600);
    return { file, blobs: await listSnapshotBlobs(dir), release };
  } catch (err) {
    await release();
    throw err;
  }
}

/** Opens the copy in `dir` on its own and lists its blobs; leaves only `data.mdb` there. */
async function listSnapshotBlobs(dir: string): Promise<SnapshotBlob[]> {
  const root = openLmdb({ path: dir });
  try {
    const tables = openRegistryTables(root);
    const blobs: SnapshotBlob[] = [];
    for (const { key, value } of tables.blobs.getRange()) {
      let referenced = false;
      for (const _ of tables.blobRefs.getKeys({ ...prefixRange([key]), limit: 1 })) referenced = true;
      blobs.push({ digest: key as Digest, size: value.size, referenced });
    }
    return blobs;
  } finally {
    await root.close();
    await rm(join(dir, 'lock.mdb'), { force: true });
  }
}
