/**
 * @module What a front server needs to know of a file system store to send its blobs itself:
 * the edge's front mode (edge/front.ts), where nginx answers a hit from the edge's store with
 * `sendfile` once the edge has authorized the request. Only the directory of verified blobs is
 * named: uploads, temporary files, the trash and LMDB stay out of the front server's reach.
 */
import type { Digest } from '../oci/digest.js';
import { BlobPaths, blobBelowBlobsDir } from './blob-paths.js';

/** The directory of verified blobs of the store at `root` (`<root>/blobs`), for nginx's `alias`. */
export function frontBlobsDir(root: string): string {
  return new BlobPaths(root).blobsDir;
}

/**
 * The blob's path below `frontBlobsDir`, `<algorithm>/<hex[0:2]>/<hex>`: a URL path as it
 * stands, since a `Digest` holds only lowercase letters, digits and one colon (dropped here).
 */
export function frontBlobPath(digest: Digest): string {
  return blobBelowBlobsDir(digest);
}
