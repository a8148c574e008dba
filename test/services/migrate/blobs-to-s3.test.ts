/**
 * `outpost main migrate --to-blobs s3://...`: the target blob store is opened from the same
 * location syntax as `--blobs` (main/main-data.ts `openBlobStoreAt`), and the copy into S3
 * verifies every digest and skips what is already there.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBlobLocationError, openBlobStore, openBlobStoreAt } from '../../../main/main-data.js';
import { parseDigest } from '../../../src/oci/digest.js';
import { copyBlobs } from '../../../src/store/copy-blobs.js';
import { randomBlob } from '../../helpers/oci-fixtures.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let s3: S3TestServer;
let temp: TempDir;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  [s3, temp] = await Promise.all([startS3(), createTempDir('outpost-migrate-s3-')]);
  // The AWS SDK's default chain, as the migrate command finds its credentials.
  for (const [key, value] of Object.entries(s3.env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await s3?.stop();
  await temp?.remove();
});

describe('blobs copied into S3 by migrate', () => {
  it('copies every blob verified, then finds them all there on a second run', async () => {
    const source = await openBlobStore({ kind: 'directory', path: temp.path }, '--data');
    const blobs = [randomBlob(1_000), randomBlob(3 * 2 ** 20), randomBlob(70_000)];
    for (const blob of blobs) {
      const staged = await source.store.stage(Readable.from([blob.bytes]), { digest: parseDigest(blob.digest) });
      await source.store.commit(staged);
    }
    const target = await openBlobStoreAt(
      `s3://${await s3.createBucket()}/registry?endpoint=${s3.endpoint}&region=${s3.region}`,
      '--to-blobs',
    );
    try {
      expect(target.description).toMatch(/^s3:\/\//);
      const first = await copyBlobs(source.store, target.store, () => {});
      expect(first).toMatchObject({ copied: 3, skipped: 0, corrupt: [] });
      for (const blob of blobs) expect(await target.store.stat(parseDigest(blob.digest))).toEqual({ size: blob.size });
      expect(await copyBlobs(source.store, target.store, () => {})).toMatchObject({ copied: 0, skipped: 3 });
    } finally {
      target.close();
    }
  });

  it('refuses a target that is neither a directory nor S3, naming the flag', async () => {
    const error = await openBlobStoreAt('gs://bucket/x', '--to-blobs').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidBlobLocationError);
    expect((error as Error).message).toMatch(/^--to-blobs: expected a directory or s3:\/\//);
  });
});
