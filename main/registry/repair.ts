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
 */
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, type Digest } from '../../src/oci/digest.js';
import type { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { linkIntoPlace } from '../../src/store/file-io.js';
import { key, prefixRange, splitKey } from '../../src/store/lmdb.js';
import type { MetadataDb } from './metadata-db.js';

export interface RepairReport {
  restoredFromTrash: number;
  entriesDropped: number;
  /** Files without an entry that manifests reference: indexed again. */
  orphansReindexed: number;
  /** Files without an entry that nothing references: moved to the trash. */
  orphansTrashed: number;
}

export async function repairMainStore(
  db: MetadataDb,
  store: FsBlobStore,
  now: () => number = Date.now,
): Promise<RepairReport> {
  const trash = new Map<string, string>();
  for (const name of await readdir(store.paths.trashDir))
    trash.set(name.slice(0, name.indexOf('.')), join(store.paths.trashDir, name));

  const missing: Digest[] = [];
  let restoredFromTrash = 0;
  for (const digest of db.blobs.getKeys() as Iterable<string>) {
    if (await store.stat(digest as Digest)) continue;
    const inTrash = trash.get(digestHex(digest as Digest));
    if (inTrash) {
      await linkIntoPlace(inTrash, store.paths.blob(digest as Digest));
      restoredFromTrash++;
    } else {
      missing.push(digest as Digest);
    }
  }
  if (missing.length > 0) {
    const gone = new Set<string>(missing);
    await db.transaction(() => {
      for (const digest of missing) db.blobs.remove(digest);
      for (const linkKey of db.repoBlobs.getKeys() as Iterable<string>) {
        if (gone.has(splitKey(linkKey)[1]!)) db.repoBlobs.remove(linkKey);
      }
    });
  }

  let orphansReindexed = 0;
  let orphansTrashed = 0;
  for await (const digest of store.list()) {
    if (db.blobs.doesExist(digest)) continue;
    const repos = new Set<string>();
    for (const refKey of db.blobRefs.getKeys(prefixRange([digest])) as Iterable<string>) {
      repos.add(splitKey(refKey)[1]!);
    }
    if (repos.size === 0) {
      await rename(store.paths.blob(digest), store.paths.newTrash(digest));
      orphansTrashed++;
      continue;
    }
    const size = (await store.stat(digest))?.size;
    if (size === undefined) continue;
    const at = now();
    await db.transaction(() => {
      db.blobs.put(digest, { size, createdAt: at, linkedAt: at });
      for (const repo of repos) db.repoBlobs.put(key(repo, digest), { linkedAt: at });
    });
    orphansReindexed++;
  }
  return { restoredFromTrash, entriesDropped: missing.length, orphansReindexed, orphansTrashed };
}
