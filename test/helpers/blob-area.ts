/**
 * What a test main's blob store holds, looked at behind the store's back and the same way for
 * every backend: the files of a blob directory, or the objects (and multipart uploads) of an S3
 * bucket. The layouts are the stores' own (src/store/blob-paths.ts, src/store/s3-keys.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface BlobArea {
  /** Where it is, for messages. */
  readonly description: string;
  /**
   * Bytes an upload chunk needs before the store writes any of them out: main's batch of 1 MiB
   * for a directory, a whole multipart part for S3 (smaller tails stay in memory until the end).
   */
  readonly writeBatchBytes: number;
  /** Whether verified content is stored under the digest. */
  hasBlob(digest: string): Promise<boolean>;
  /** Staged content and other leftovers of writes (tmp/). */
  temporaries(): Promise<string[]>;
  /** Whether anything of an upload session is stored. */
  hasSession(uuid: string): Promise<boolean>;
  /** Bytes of an upload session already written out. */
  sessionBytes(uuid: string): Promise<number>;
  /** Every entry of the area, by path or key. */
  entries(): Promise<string[]>;
  /** Entries next to the area, where a path that climbed out of it would land. */
  strays(): Promise<string[]>;
}

const blobPath = (digest: string) => {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join('blobs', algorithm, hex.slice(0, 2), hex);
};

export function directoryBlobArea(dir: string): BlobArea {
  const list = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)) : []);
  return {
    description: `directory ${dir}`,
    writeBatchBytes: 1 << 20,
    hasBlob: async (digest) => existsSync(join(dir, blobPath(digest))),
    temporaries: async () => list('tmp'),
    hasSession: async (uuid) => existsSync(join(dir, 'uploads', uuid)),
    sessionBytes: async (uuid) => statSync(join(dir, 'uploads', uuid)).size,
    entries: async () => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((path) => join(dir, path)),
    strays: async () => [resolve(dir, '..', 'etc')].filter((path) => existsSync(path)),
  };
}

/** All keys under `prefix` ('' for the whole bucket): objects, and multipart uploads in progress. */
async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) keys.push(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (const upload of await listUploads(client, bucket, prefix)) keys.push(`${upload.key} (multipart upload)`);
  return keys;
}

async function listUploads(client: S3Client, bucket: string, prefix: string) {
  // A test bucket holds few uploads: one page (up to 1,000) is all of them.
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (page.Uploads ?? []).map((upload) => ({ key: upload.Key!, uploadId: upload.UploadId! }));
}

export function s3BlobArea(client: S3Client, bucket: string, prefix: string): BlobArea {
  const root = `${prefix}/`;
  return {
    description: `s3://${bucket}/${prefix}`,
    writeBatchBytes: 8 * 1024 * 1024,
    async hasBlob(digest) {
      const [algorithm, hex] = digest.split(':') as [string, string];
      return (await listKeys(client, bucket, `${root}blobs/${algorithm}/${hex}`)).length > 0;
    },
    temporaries: () => listKeys(client, bucket, `${root}tmp/`),
    hasSession: async (uuid) => (await listKeys(client, bucket, `${root}uploads/${uuid}/`)).length > 0,
    async sessionBytes(uuid) {
      const prefix = `${root}uploads/${uuid}/`;
      let bytes = 0;
      for (const { key, uploadId } of await listUploads(client, bucket, prefix)) {
        const parts = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        for (const part of parts.Parts ?? []) bytes += part.Size ?? 0;
      }
      return bytes;
    },
    entries: () => listKeys(client, bucket, root),
    strays: async () => (await listKeys(client, bucket, '')).filter((key) => !key.startsWith(root)),
  };
}

/** Empties a test bucket (objects and multipart uploads) and deletes it. */
export async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  for (const { key, uploadId } of await listUploads(client, bucket, '')) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  }
  // One by one: a test bucket holds a few objects, and DeleteObjects needs checksums Ceph may not take.
  for (const key of await listKeys(client, bucket, '')) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
