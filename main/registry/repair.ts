/**
 * @module Start-up repair of main's store, run before serving: every blob the index names must
 * have its file. A crash can leave an index entry without a file in two places: between the
 * index write and the file link of a commit (the client never got its 201), and while the
 * garbage collector had the file in `trash/` (see gc.ts). A file still in the trash is put
 * back; otherwise the entry and its repository links go, so the blob reads as unknown and
 * the next push uploads it again, instead of a manifest being accepted for a missing blob.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, type Digest } from '../../src/oci/digest.js';
import type { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { linkIntoPlace } from '../../src/store/file-io.js';
import { splitKey } from '../../src/store/lmdb.js';
import type { MetadataDb } from './metadata-db.js';

export interface RepairReport {
  restoredFromTrash: number;
  entriesDropped: number;
}

export async function repairMainStore(db: MetadataDb, store: FsBlobStore): Promise<RepairReport> {
  const trash = new Map<string, string>();
  for (const name of await readdir(store.paths.trashDir)) trash.set(name.slice(0, name.indexOf('.')), join(store.paths.trashDir, name));

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
  return { restoredFromTrash, entriesDropped: missing.length };
}
