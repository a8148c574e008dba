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
 * checked against UUID_PATTERN), so no path can leave the root.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.js';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    const hex = digestHex(digest);
    return join(this.blobsDir, digestAlgorithm(digest), hex.slice(0, 2), hex);
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
}
