/**
 * @module The object layout of an S3 blob store; the only place that builds its keys.
 *
 *	<bucket>
 *	└── <prefix>/                  optional, from s3://BUCKET/PREFIX
 *	    ├── blobs
 *	    │   └── <algorithm>        sha256 | sha512
 *	    │       └── <hex>          verified content, immutable, named by its digest
 *	    ├── tmp
 *	    │   └── <uuid>             a staged blob (verified, not yet committed), and the multipart
 *	    │                          upload that writes it while it is being staged
 *	    ├── uploads
 *	    │   └── <session id>
 *	    │       ├── session        written by begin, rewritten by each append (when it last changed)
 *	    │       ├── data           the session's multipart upload; the assembled bytes once complete
 *	    │       └── tail-<uuid>    bytes past the last whole part (less than a part), one per append
 *	    └── trash
 *	        └── <algorithm>
 *	            └── <hex>.<uuid>   a blob moved out of sight by garbage collection
 *
 * Nothing but a finished copy of verified bytes ever lands under `blobs/`: staging writes under
 * `tmp/`, and S3 makes a CopyObject or CompleteMultipartUpload visible whole or not at all.
 * Digests are validated before they get here (`Digest` is branded) and the prefix is checked by
 * `parseS3Location`, so no key can leave the prefix.
 */
import { randomUUID } from 'node:crypto';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../oci/digest.js';
import { isUploadId } from './blob-store.js';

export class S3Keys {
  readonly blobsPrefix: string;
  readonly tmpPrefix: string;
  readonly uploadsPrefix: string;
  readonly trashPrefix: string;

  /** `prefix` is '' or segments joined by '/', without leading or trailing '/'. */
  constructor(readonly prefix: string) {
    const root = prefix === '' ? '' : `${prefix}/`;
    this.blobsPrefix = `${root}blobs/`;
    this.tmpPrefix = `${root}tmp/`;
    this.uploadsPrefix = `${root}uploads/`;
    this.trashPrefix = `${root}trash/`;
  }

  blob(digest: Digest): string {
    return `${this.blobsPrefix}${digestAlgorithm(digest)}/${digestHex(digest)}`;
  }

  /** The digest a key under `blobs/` names, or undefined for a key `blob()` does not build. */
  digestOf(key: string): Digest | undefined {
    if (!key.startsWith(this.blobsPrefix)) return undefined;
    const [algorithm, hex, ...rest] = key.slice(this.blobsPrefix.length).split('/');
    if (rest.length > 0 || algorithm === undefined || hex === undefined) return undefined;
    const digest = `${algorithm}:${hex}`;
    return isDigest(digest) && this.blob(digest as Digest) === key ? (digest as Digest) : undefined;
  }

  /** A fresh, unique key for a staged blob. */
  newTemp(): string {
    return `${this.tmpPrefix}${randomUUID()}`;
  }

  isTemp(key: string): boolean {
    return key.startsWith(this.tmpPrefix) && key.length > this.tmpPrefix.length;
  }

  /** Everything of one upload session is under this prefix. Throws for an id that is no UUID. */
  upload(id: string): string {
    if (!isUploadId(id)) throw new Error(`not an upload id: ${id.slice(0, 64)}`);
    return `${this.uploadsPrefix}${id}/`;
  }

  uploadSession(id: string): string {
    return `${this.upload(id)}session`;
  }

  uploadData(id: string): string {
    return `${this.upload(id)}data`;
  }

  newUploadTail(id: string): string {
    return `${this.upload(id)}tail-${randomUUID()}`;
  }

  /** The session id of a key under `uploads/`, or undefined. */
  uploadIdOf(key: string): string | undefined {
    if (!key.startsWith(this.uploadsPrefix)) return undefined;
    const id = key.slice(this.uploadsPrefix.length).split('/', 1)[0]!;
    return isUploadId(id) ? id : undefined;
  }

  newTrash(digest: Digest): string {
    return `${this.trashPrefix}${digestAlgorithm(digest)}/${digestHex(digest)}.${randomUUID()}`;
  }

  /** The digest a trash key holds, or undefined for a key `newTrash` does not build. */
  trashedDigestOf(key: string): Digest | undefined {
    const match = /^([a-z0-9]+)\/([0-9a-f]+)\.[0-9a-f-]{36}$/.exec(key.slice(this.trashPrefix.length));
    if (!key.startsWith(this.trashPrefix) || !match) return undefined;
    const digest = `${match[1]}:${match[2]}`;
    return isDigest(digest) ? (digest as Digest) : undefined;
  }
}
