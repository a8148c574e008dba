/**
 * @module Start-up repair of main's store, run before serving: index and files must agree.
 *
 * An index entry without its file: a crash between the index write and the file link of a
 * commit (the client never got its 201), or while the garbage collector had the file in
 * `trash/` (see gc.ts). A file still in the trash is put back; otherwise the entry and its
 * repository links go, so the blob reads as unknown and the next push uploads it again,
 * instead of a manifest being accepted for a missing blob.
 *
 * A file without an index entry: a collector of older versions killed between its transaction
 * and its move to the trash. When a manifest still references the blob (a `blobRefs` entry),
 * the entry is written again, linked to the repositories of those manifests; otherwise the
 * file goes to the trash, which start-up empties.
 *
 * A file that is not where its name puts it (copied into the wrong fan-out directory by hand, or
 * not named by a digest) is left alone and logged: no index entry can name it, so it is never
 * served, and acting on it would touch the path its name builds instead. A file that cannot be
 * repaired (unreadable, a failed move) is logged and skipped: repair never stops the start.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { BlobStore, TrashedBlob } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { RegistryMetadata } from '../metadata/registry.js';

export interface RepairReport {
  restoredFromTrash: number;
  entriesDropped: number;
  /** Files without an entry that manifests reference: indexed again. */
  orphansReindexed: number;
  /** Files without an entry that nothing references: moved to the trash. */
  orphansTrashed: number;
  /** Files under `blobs/` that are not where their name puts them: left in place, logged. */
  strayFiles: number;
  /** Files whose repair failed (logged with the reason); the next start tries again. */
  failures: number;
}

export async function repairMainStore(
  metadata: RegistryMetadata,
  store: BlobStore,
  logger: Logger,
  now: () => number = Date.now,
): Promise<RepairReport> {
  const trash = new Map<string, TrashedBlob>();
  for await (const trashed of store.listTrash()) trash.set(trashed.digest, trashed);

  const missing: Digest[] = [];
  let restoredFromTrash = 0;
  for (const digest of await metadata.listBlobDigests()) {
    if (await store.stat(digest)) continue;
    const inTrash = trash.get(digest);
    if (inTrash) {
      await store.restore(inTrash);
      restoredFromTrash++;
    } else {
      missing.push(digest);
    }
  }
  if (missing.length > 0) await metadata.dropBlobs(missing);

  let orphansReindexed = 0;
  let orphansTrashed = 0;
  let strayFiles = 0;
  let failures = 0;
  const onStray = (path: string) => {
    strayFiles++;
    logger.warn('a file under blobs/ is not where its name puts it: left alone, never served', { path });
  };
  for await (const digest of store.list(onStray)) {
    if (await metadata.getBlob(digest)) continue;
    try {
      if (await reindexOrTrash(metadata, store, digest, now)) orphansReindexed++;
      else orphansTrashed++;
    } catch (err) {
      failures++;
      logger.warn('could not repair a blob file without an index entry: skipped', {
        digest,
        error: (err as Error).message,
      });
    }
  }
  return {
    restoredFromTrash,
    entriesDropped: missing.length,
    orphansReindexed,
    orphansTrashed,
    strayFiles,
    failures,
  };
}

/** Indexes again a file that manifests reference (true), or moves it to the trash (false). */
async function reindexOrTrash(metadata: RegistryMetadata, store: BlobStore, digest: Digest, now: () => number) {
  const repos = await metadata.referencingRepositories(digest);
  if (repos.length === 0) {
    await store.trash(digest);
    return false;
  }
  const size = (await store.stat(digest))?.size;
  if (size === undefined) throw new Error('the file went away during repair');
  await metadata.reindexBlob(digest, size, repos, now());
  return true;
}
