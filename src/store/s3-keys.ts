/**
 * @module The object layout of an S3 blob store; the only place that builds its keys.
 *
 *	<bucket>
 *	└── <prefix>/                  optional, from s3://BUCKET/PREFIX
 *	    ├── blobs
 *	    │   └── <algorithm>        sha256 | sha512
 *	    │       └── <hex>          verified content, immutable, named by its digest
 *	    └── tmp
 *	        └── <uuid>             a staged blob (verified, not yet committed), and the multipart
 *	                               upload that writes it while it is being staged
 *
 * Nothing but a finished copy of verified bytes ever lands under `blobs/`: staging writes under
 * `tmp/`, and S3 makes a CopyObject or CompleteMultipartUpload visible whole or not at all.
 * Digests are validated before they get here (`Digest` is branded) and the prefix is checked by
 * `parseS3Location`, so no key can leave the prefix.
 */
import { randomUUID } from 'node:crypto';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../oci/digest.js';

export class S3Keys {
  readonly blobsPrefix: string;
  readonly tmpPrefix: string;

  /** `prefix` is '' or segments joined by '/', without leading or trailing '/'. */
  constructor(readonly prefix: string) {
    const root = prefix === '' ? '' : `${prefix}/`;
    this.blobsPrefix = `${root}blobs/`;
    this.tmpPrefix = `${root}tmp/`;
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
}
