/**
 * @module The S3 calls a blob store makes, on one bucket, each with its failures sorted out:
 * "no such object" is an answer (undefined), anything else that keeps the call from working (the
 * endpoint unreachable, a 5xx, denied credentials, a missing bucket) is a
 * `BlobStoreUnavailableError` that the registry answers with 503. Raw SDK errors never leave this
 * file: a network error such as ECONNRESET would otherwise read as a client that went away.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ByteRange } from './blob-store.js';
import { BlobStoreUnavailableError } from './errors.js';
import type { S3Location } from './s3-location.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

// A connection that cannot be opened in this time counts as an unreachable endpoint. Reads that
// stall (no byte for this long) are ended, so a dead endpoint never holds a client forever.
const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 120_000;
// An opened blob holds its GET (see S3BlobStore.open): allow many concurrent pulls per replica
// instead of the SDK's default of 50 sockets.
const MAX_SOCKETS = 512;

/** A client for the location: path-style, credentials from the SDK's default chain unless given. */
export function createS3Client(location: S3Location, credentials?: S3Credentials): S3Client {
  return new S3Client({
    ...(location.endpoint !== undefined && { endpoint: location.endpoint }),
    ...(location.region !== undefined && { region: location.region }),
    ...(credentials !== undefined && { credentials }),
    forcePathStyle: true,
    // Digests are verified by the store itself; S3-compatible servers differ in the newer
    // checksum headers, so only send and check them where an operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: IDLE_TIMEOUT_MS,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    },
  });
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A 404 about the object, not about the bucket (a missing bucket is a broken configuration). */
function isMissingObject(err: unknown): boolean {
  const { name, $metadata } = (err ?? {}) as SdkError;
  return $metadata?.httpStatusCode === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload';
}

function isMissingUpload(err: unknown): boolean {
  return (err as SdkError | undefined)?.name === 'NoSuchUpload';
}

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw new BlobStoreUnavailableError(`S3 ${operation}`, err);
  }
}

async function callOrMissing<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (err) {
    if (isMissingObject(err)) return undefined;
    throw new BlobStoreUnavailableError(`S3 ${operation}`, err);
  }
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified?: Date;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  initiated?: Date;
}

export class S3Objects {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Checks that the bucket exists and the credentials may use it. */
  async checkBucket(): Promise<void> {
    await call('HeadBucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async head(key: string): Promise<{ size: number; etag?: string } | undefined> {
    const head = await callOrMissing('HeadObject', () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    return head && { size: head.ContentLength ?? 0, ...(head.ETag !== undefined && { etag: head.ETag }) };
  }

  /** The object's bytes (a range of them), or undefined when it is gone or was replaced. */
  async get(
    key: string,
    options: { range?: ByteRange; ifMatch?: string } = {},
  ): Promise<{ body: Readable; size: number; etag?: string } | undefined> {
    const { range, ifMatch } = options;
    let answer;
    try {
      answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
          ...(ifMatch !== undefined && { IfMatch: ifMatch }),
        }),
      );
    } catch (err) {
      if (isMissingObject(err) || (err as SdkError).$metadata?.httpStatusCode === 412) return undefined;
      throw new BlobStoreUnavailableError('S3 GetObject', err);
    }
    const size = answer.ContentLength ?? 0;
    const body = answer.Body as Readable | undefined;
    if (!body) throw new BlobStoreUnavailableError('S3 GetObject', new Error('the answer had no body'));
    return { body, size, ...(answer.ETag !== undefined && { etag: answer.ETag }) };
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await call('PutObject', () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
      ),
    );
  }

  /** Server-side copy of a whole object up to 5 GiB; false when the source is gone. */
  async copy(from: string, to: string): Promise<boolean> {
    const done = await callOrMissing('CopyObject', () =>
      this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: this.source(from) })),
    );
    return done !== undefined;
  }

  async delete(key: string): Promise<void> {
    await call('DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      const page = await call('ListObjectsV2', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined && { ContinuationToken: token }),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          ...(object.LastModified !== undefined && { lastModified: object.LastModified }),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async createMultipart(key: string): Promise<string> {
    const created = await call('CreateMultipartUpload', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    if (created.UploadId === undefined) {
      throw new BlobStoreUnavailableError('S3 CreateMultipartUpload', new Error('the answer had no upload id'));
    }
    return created.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<CompletedPart> {
    const part = await call('UploadPart', () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.byteLength,
        }),
      ),
    );
    return { PartNumber: partNumber, ETag: part.ETag };
  }

  /** Copies `range` of `from` as one part; false when the source is gone. */
  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    from: string,
    range: ByteRange,
  ): Promise<CompletedPart | undefined> {
    const part = await callOrMissing('UploadPartCopy', () =>
      this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: this.source(from),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
        }),
      ),
    );
    return part && { PartNumber: partNumber, ETag: part.CopyPartResult?.ETag };
  }

  async completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<void> {
    await call('CompleteMultipartUpload', () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
  }

  /** Aborts an upload; one already aborted or completed is ignored. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (isMissingUpload(err) || isMissingObject(err)) return;
      throw new BlobStoreUnavailableError('S3 AbortMultipartUpload', err);
    }
  }

  async *listMultipartUploads(prefix: string): AsyncIterable<ListedUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await call('ListMultipartUploads', () =>
        this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(keyMarker !== undefined && { KeyMarker: keyMarker }),
            ...(uploadIdMarker !== undefined && { UploadIdMarker: uploadIdMarker }),
          }),
        ),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        yield {
          key: upload.Key,
          uploadId: upload.UploadId,
          ...(upload.Initiated !== undefined && { initiated: upload.Initiated }),
        };
      }
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
    return call('presign GetObject', () => getSignedUrl(this.client, command, { expiresIn: expiresInSeconds }));
  }

  // Keys are built from validated segments (s3-keys.ts), so they need no escaping beyond this.
  private source(key: string): string {
    return `${this.bucket}/${encodeURI(key)}`;
  }
}
