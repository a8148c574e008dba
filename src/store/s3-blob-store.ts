/**
 * @module `BlobStore` on S3 (AWS, or any S3-compatible server such as a Ceph RADOS Gateway):
 * staged objects under `tmp/`, verified content copied into place under `blobs/` (s3-keys.ts).
 *
 * Every replica of main may share one bucket: blob keys are content-addressed and written only
 * by a whole-object copy of verified bytes, so concurrent commits of one digest write the same
 * object and a reader never sees part of one. Failures to reach S3 surface as
 * `BlobStoreUnavailableError` (503), never as a raw SDK error (s3-objects.ts).
 */
import { Readable } from 'node:stream';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import type { Digest } from '../oci/digest.js';
import type { BlobStore, ByteRange, OpenBlob, StagedBlob, StageExpectation, TrashedBlob } from './blob-store.js';
import { BlobNotFoundError } from './errors.js';
import { S3BlobUploads } from './s3-blob-uploads.js';
import { S3Keys } from './s3-keys.js';
import type { S3Location } from './s3-location.js';
import { createS3Client, S3Objects, type S3Credentials } from './s3-objects.js';
import { MIN_PART_BYTES } from './s3-part-sink.js';
import { writeObjectHashed } from './s3-staging.js';

// CopyObject copies at most 5 GiB; larger objects are copied part by part (UploadPartCopy).
const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 1024 ** 3;

export interface S3BlobStoreOptions {
  /** Credentials for tests; the SDK's default chain (environment, shared file, roles) when absent. */
  credentials?: S3Credentials;
  /** Size of the parts of a multipart write (at least 5 MiB). Default 8 MiB. */
  partBytes?: number;
  /** Objects larger than this are copied part by part. Default 5 GiB, S3's CopyObject limit. */
  copyObjectMaxBytes?: number;
  /** Size of those copied parts (at least 5 MiB). Default 1 GiB. */
  copyPartBytes?: number;
}

export class S3BlobStore implements BlobStore {
  readonly keys: S3Keys;
  private readonly objects: S3Objects;
  private readonly partBytes: number;
  private readonly copyObjectMaxBytes: number;
  private readonly copyPartBytes: number;
  /** Where the bytes of each staged or trashed blob handed out are: the handles stay opaque. */
  private readonly handles = new WeakMap<StagedBlob | TrashedBlob, string>();
  readonly uploads: S3BlobUploads;

  private constructor(
    client: S3Client,
    readonly location: S3Location,
    options: S3BlobStoreOptions,
  ) {
    this.objects = new S3Objects(client, location.bucket);
    this.keys = new S3Keys(location.prefix);
    this.partBytes = Math.max(options.partBytes ?? 8 * 1024 * 1024, MIN_PART_BYTES);
    this.copyObjectMaxBytes = Math.min(options.copyObjectMaxBytes ?? MAX_COPY_OBJECT_BYTES, MAX_COPY_OBJECT_BYTES);
    this.copyPartBytes = Math.max(options.copyPartBytes ?? COPY_PART_BYTES, MIN_PART_BYTES);
    this.uploads = new S3BlobUploads(this.objects, this.keys, this.partBytes, (key, digest, size) =>
      this.handle(key, { digest, size }),
    );
  }

  /**
   * A store on the location. Checks that the bucket is there and the credentials may use it, so a
   * wrong configuration fails at start (`BlobStoreUnavailableError` saying why), not at the first push.
   */
  static async open(location: S3Location, options: S3BlobStoreOptions = {}): Promise<S3BlobStore> {
    const client = createS3Client(location, options.credentials);
    const store = new S3BlobStore(client, location, options);
    try {
      await store.objects.checkBucket();
    } catch (err) {
      client.destroy();
      throw err;
    }
    return store;
  }

  /**
   * A URL that GETs the blob from S3 without credentials until it expires (SigV4 query
   * signature), for redirecting pulls; computed locally, without a call to S3.
   */
  async presignGet(digest: Digest, expiresInSeconds: number): Promise<string> {
    return this.objects.presignGet(this.keys.blob(digest), expiresInSeconds);
  }

  /** Closes the client's connections. */
  close(): void {
    this.objects.client.destroy();
  }

  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    const head = await this.objects.head(this.keys.blob(digest));
    return head && { size: head.size };
  }

  /**
   * Starts the GET at once and holds its body, so that a blob deleted after `open` is still
   * served whole (S3 keeps serving a response that has begun). A range that does not start at 0
   * is fetched as a range of the same version (If-Match); if that version is gone by then, it is
   * cut from the held body instead.
   */
  async open(digest: Digest): Promise<OpenBlob> {
    const key = this.keys.blob(digest);
    const held = await this.objects.get(key);
    if (!held) throw new BlobNotFoundError(digest);
    const { size, etag } = held;
    const objects = this.objects;
    let taken = false;
    return {
      digest,
      size,
      stream(range?: ByteRange): Readable {
        taken = true;
        if (!range || range.start === 0) return slice(held.body, range ? range.end + 1 : size);
        return Readable.from(rangeOf(objects, key, etag, range, held.body));
      },
      async close() {
        if (!taken) held.body.destroy();
      },
    };
  }

  async stage(source: AsyncIterable<Uint8Array>, expect: StageExpectation = {}): Promise<StagedBlob> {
    const key = this.keys.newTemp();
    const written = await writeObjectHashed(this.objects, key, source, expect, this.partBytes);
    return this.handle(key, written);
  }

  async commit(staged: StagedBlob): Promise<void> {
    const key = this.keyOf(staged);
    const copied = await this.copy(key, this.keys.blob(staged.digest), staged.size);
    // A repeated commit (a retried request) finds its staged object already gone; with the blob
    // in place that is the success the first call reported, as the contract promises.
    if (!copied && (await this.stat(staged.digest)) === undefined) throw new BlobNotFoundError(staged.digest);
    await this.objects.delete(key);
  }

  async discard(staged: StagedBlob): Promise<void> {
    await this.objects.delete(this.keyOf(staged));
  }

  async delete(digest: Digest): Promise<void> {
    await this.objects.delete(this.keys.blob(digest));
  }

  /** Every blob object in its place; other keys under `blobs/` are passed to `onStray`. */
  async *list(onStray: (key: string) => void = () => {}): AsyncIterable<Digest> {
    for await (const { key } of this.objects.list(this.keys.blobsPrefix)) {
      const digest = this.keys.digestOf(key);
      if (digest) yield digest;
      else onStray(key);
    }
  }

  /**
   * A copy to `trash/`, then the delete: S3 has no rename. A commit of the same digest between
   * the two is undone by the delete; the trashed copy holds the same bytes, and garbage
   * collection restores a blob that is referenced again (main/registry/gc.ts).
   */
  async trash(digest: Digest): Promise<TrashedBlob | undefined> {
    const from = this.keys.blob(digest);
    const head = await this.objects.head(from);
    if (!head) return undefined;
    const key = this.keys.newTrash(digest);
    if (!(await this.copy(from, key, head.size))) return undefined;
    await this.objects.delete(from);
    return this.handle(key, { digest });
  }

  async restore(trashed: TrashedBlob): Promise<void> {
    const key = this.keyOf(trashed);
    const head = await this.objects.head(key);
    const copied = head !== undefined && (await this.copy(key, this.keys.blob(trashed.digest), head.size));
    // Restored and purged already (a repeated call): fine when the blob is in place.
    if (!copied && (await this.stat(trashed.digest)) === undefined) throw new BlobNotFoundError(trashed.digest);
  }

  async purgeTrashed(trashed: TrashedBlob): Promise<void> {
    await this.objects.delete(this.keyOf(trashed));
  }

  async *listTrash(): AsyncIterable<TrashedBlob> {
    for await (const { key } of this.objects.list(this.keys.trashPrefix)) {
      const digest = this.keys.trashedDigestOf(key);
      if (digest) yield this.handle(key, { digest });
    }
  }

  /**
   * Staged objects and multipart uploads under `tmp/`, and the trash; upload sessions stay. With
   * `olderThan`, only those S3 says were written before it (by S3's clock, to the second).
   */
  async removeTemporaryFiles(olderThan?: number): Promise<number> {
    const old = (date: Date | undefined) => olderThan === undefined || (date?.getTime() ?? 0) < olderThan;
    let removed = 0;
    for await (const upload of this.objects.listMultipartUploads(this.keys.tmpPrefix)) {
      if (!this.keys.isTemp(upload.key) || !old(upload.initiated)) continue;
      await this.objects.abortMultipart(upload.key, upload.uploadId);
      removed++;
    }
    for await (const object of this.objects.list(this.keys.tmpPrefix)) {
      if (!this.keys.isTemp(object.key) || !old(object.lastModified)) continue;
      await this.objects.delete(object.key);
      removed++;
    }
    for await (const object of this.objects.list(this.keys.trashPrefix)) {
      if (!old(object.lastModified)) continue;
      await this.objects.delete(object.key);
      removed++;
    }
    return removed;
  }

  /** A server-side copy of a whole object; false when the source is gone. */
  private async copy(from: string, to: string, size: number): Promise<boolean> {
    return size > this.copyObjectMaxBytes ? this.copyInParts(from, to, size) : this.objects.copy(from, to);
  }

  private handle<T extends StagedBlob | TrashedBlob>(key: string, handle: T): T {
    const frozen = Object.freeze(handle);
    this.handles.set(frozen, key);
    return frozen;
  }

  private keyOf(handle: StagedBlob | TrashedBlob): string {
    const key = this.handles.get(handle);
    if (key === undefined) throw new TypeError('not a handle of this blob store');
    return key;
  }

  /** UploadPartCopy for objects beyond CopyObject's limit; false when the source is gone. */
  private async copyInParts(from: string, to: string, size: number): Promise<boolean> {
    const uploadId = await this.objects.createMultipart(to);
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0; start < size; start += this.copyPartBytes) {
        const range = { start, end: Math.min(start + this.copyPartBytes, size) - 1 };
        const part = await this.objects.uploadPartCopy(to, uploadId, parts.length + 1, from, range);
        if (!part) {
          await this.objects.abortMultipart(to, uploadId);
          return false;
        }
        parts.push(part);
      }
      await this.objects.completeMultipart(to, uploadId, parts);
      return true;
    } catch (err) {
      await this.objects.abortMultipart(to, uploadId).catch(() => {});
      throw err;
    }
  }
}

/** The first `length` bytes of `body`; the rest is not read (the connection is closed). */
function slice(body: Readable, length: number): Readable {
  return Readable.from(
    (async function* () {
      let left = length;
      try {
        for await (const chunk of body) {
          if (left <= 0) break;
          const bytes = chunk as Uint8Array;
          yield bytes.byteLength <= left ? bytes : bytes.subarray(0, left);
          left -= bytes.byteLength;
        }
      } finally {
        body.destroy();
      }
    })(),
  );
}

async function* rangeOf(
  objects: S3Objects,
  key: string,
  etag: string | undefined,
  range: ByteRange,
  held: Readable,
): AsyncIterable<Uint8Array> {
  const ranged = await objects.get(key, { range, ...(etag !== undefined && { ifMatch: etag }) }).catch((err) => {
    held.destroy();
    throw err;
  });
  if (ranged) {
    held.destroy();
    yield* ranged.body as AsyncIterable<Uint8Array>;
    return;
  }
  // The object was deleted (or replaced) since `open`: skip to the range in the held body.
  let position = 0;
  for await (const chunk of slice(held, range.end + 1)) {
    const bytes = chunk as Uint8Array;
    const from = Math.max(range.start - position, 0);
    position += bytes.byteLength;
    if (from < bytes.byteLength) yield bytes.subarray(from);
  }
}
