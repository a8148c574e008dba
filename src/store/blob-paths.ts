/**
 * @module The on-disk layout of a blob store; the only place that builds its paths.
 *
 *	<root>
 *	├── blobs
 *	│   └── <algorithm>            sha256 | sha512
 *	│       └── <hex[0:2]>
 *	│           └── <hex>          verified content, immutable, named by its digest
 *	├── uploads
 *	│   └── <session id>           bytes of an upload session (its state is in LMDB)
 *	├── tmp                        single-request ingests in progress; emptied at start-up
 *	└── trash                      blobs being garbage-collected (see main/registry/gc.ts)
 *
 * Digests and session ids are validated before they get here (`Digest` is branded, ids are
 * checked against UUID_PATTERN), so no path can leave the root. Private to the file system store
 * (src/store/fs-*.ts): nothing else may build or use these paths (test/unit/architecture).
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../oci/digest.js';
import { UPLOAD_ID_PATTERN } from './blob-store.js';

export const UUID_PATTERN = UPLOAD_ID_PATTERN;

// Trash names carry the hex only; its length tells the algorithm.
const ALGORITHM_BY_HEX_LENGTH: Record<number, string> = { 64: 'sha256', 128: 'sha512' };

/** Where a blob is below `blobs/`: `<algorithm>/<hex[0:2]>/<hex>`, always with `/`. */
export function blobBelowBlobsDir(digest: Digest): string {
  const hex = digestHex(digest);
  return `${digestAlgorithm(digest)}/${hex.slice(0, 2)}/${hex}`;
}

export class BlobPaths {
  readonly blobsDir: string;
  readonly uploadsDir: string;
  readonly tmpDir: string;
  readonly trashDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
    this.tmpDir = join(root, 'tmp');
    this.trashDir = join(root, 'trash');
  }

  blob(digest: Digest): string {
    return join(this.blobsDir, blobBelowBlobsDir(digest));
  }

  upload(sessionId: string): string {
    if (!UUID_PATTERN.test(sessionId)) throw new Error(`not a session id: ${sessionId.slice(0, 64)}`);
    return join(this.uploadsDir, sessionId);
  }

  /** A fresh, unique temporary file name. */
  newTemp(): string {
    return join(this.tmpDir, randomUUID());
  }

  newTrash(digest: Digest): string {
    return join(this.trashDir, `${digestHex(digest)}.${randomUUID()}`);
  }

  /** The digest a trash entry's name (`<hex>.<random>`) holds; undefined for any other name. */
  trashedDigest(name: string): Digest | undefined {
    const hex = name.slice(0, name.indexOf('.'));
    const digest = `${ALGORITHM_BY_HEX_LENGTH[hex.length] ?? 'none'}:${hex}`;
    return isDigest(digest) ? (digest as Digest) : undefined;
  }
}
