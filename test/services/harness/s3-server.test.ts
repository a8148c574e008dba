/**
 * The S3 test harness itself: a real Ceph RGW that answers signed S3 calls, a fresh bucket per
 * test, and a start that fails loudly (never a skip) when the server cannot be started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseExportLines, startS3, type S3TestServer } from '../../helpers/s3.js';

describe('startS3 (test/helpers/s3.ts)', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('starts a Ceph RGW on loopback that stores and returns objects through signed, path-style calls', async () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const bucket = await s3.createBucket();
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b', Body: 'hello' }));
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b' }));
    expect(await got.Body?.transformToString()).toBe('hello');
  });

  it('gives each test a new, empty bucket', async () => {
    const first = await s3.createBucket();
    await s3.client.send(new PutObjectCommand({ Bucket: first, Key: 'x', Body: 'x' }));
    const second = await s3.createBucket();
    expect(second).not.toBe(first);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: second }));
    expect(listed.KeyCount).toBe(0);
  });

  it("exports the AWS_* variables of the SDK's default credential chain", () => {
    expect(s3.env).toMatchObject({
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REGION: s3.region,
    });
  });
});

describe('startS3 when the server cannot start', () => {
  it("rejects with the script's explanation instead of skipping", async () => {
    const err = await startS3({ script: '/nonexistent/s3-test-server.sh' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('/nonexistent/s3-test-server.sh start');
    expect((err as Error).message).toContain('No such file or directory');
  });
});

describe('parseExportLines', () => {
  it('reads NAME=VALUE from export lines and ignores anything else', () => {
    expect(parseExportLines("export A=1\nnoise\nexport B_2='x y'\n")).toEqual({ A: '1', B_2: 'x y' });
  });
});
