/**
 * @module A real S3 for a scenario: a single-node Ceph RADOS Gateway started by the shared
 * `../shared/tools/s3-test-server.sh` (from the repository root; OUTPOST_S3_TEST_SERVER to use
 * another), in a directory of the run, stopped by the run's `Cleanup` (the script stops exactly
 * the daemons it recorded). Its objects live in the OSD's memory (memstore): S3TS_MEM_BYTES in
 * the environment sets the capacity, and each peer's bucket is emptied after its repetition.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Cleanup } from './cleanup.js';
import { REPO_ROOT } from './processes.js';

const run = promisify(execFile);
export const S3_SCRIPT = process.env.OUTPOST_S3_TEST_SERVER ?? resolve(REPO_ROOT, '../shared/tools/s3-test-server.sh');

export interface BenchS3 {
  /** http://127.0.0.1:PORT, path-style only. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The AWS_* variables the script printed (outpost's SDK finds the server with them). */
  readonly env: Readonly<Record<string, string>>;
  createBucket(prefix: string): Promise<string>;
  /** Deletes every object of `bucket`, so the memstore can free their space. */
  emptyBucket(bucket: string): Promise<void>;
}

/** `export NAME=VALUE` lines, as the script prints them. */
function parseExportLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

export async function startS3(dir: string, cleanup: Cleanup): Promise<BenchS3> {
  const script = (args: string[]) =>
    run('bash', [S3_SCRIPT, ...args], {
      env: { ...process.env, S3TS_INSTALL: process.env.S3TS_INSTALL ?? 'auto', S3TS_BUCKET: '' },
      timeout: 300_000,
      maxBuffer: 1 << 20,
    });
  // Registered first: a start that fails half-way still leaves daemons to stop.
  cleanup.defer('stop the Ceph RGW', async () => {
    await script(['stop', dir]);
  });
  let env: Record<string, string>;
  try {
    env = parseExportLines((await script(['start', dir, '0'])).stdout);
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '');
    throw new Error(`${S3_SCRIPT} start failed: ${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  const endpoint = env.AWS_ENDPOINT_URL;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey)
    throw new Error(`${S3_SCRIPT} printed no endpoint and credentials: ${Object.keys(env).join(', ')}`);
  const region = env.AWS_REGION ?? 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    forcePathStyle: true,
  });
  cleanup.defer('close the S3 client', async () => client.destroy());
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    env,
    async createBucket(prefix) {
      const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async emptyBucket(bucket) {
      for (;;) {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
        const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) return;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      }
    },
  };
}
