/**
 * A real S3 for the `services` suites: a single-node Ceph RADOS Gateway started by
 * `../shared/tools/s3-test-server.sh` (override with OUTPOST_S3_TEST_SERVER) in a temporary
 * directory, one per test file (`beforeAll(startS3)`, `afterAll(s3.stop)`), and a fresh bucket
 * per test (`createBucket()`).
 *
 * When Ceph cannot be started (packages missing and not installable, a daemon that does not come
 * up) `startS3` rejects with the script's own explanation, so the suite FAILS: a claim of S3
 * support is never skipped. As root the script installs its Debian packages itself (about 20 s
 * the first time; about 3 s per start afterwards).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createTempDir } from './temp-dir.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = process.env.OUTPOST_S3_TEST_SERVER ?? resolve(REPO, '../shared/tools/s3-test-server.sh');
// Generous: the first start on a fresh machine installs ceph-mon, ceph-osd and radosgw.
const START_TIMEOUT_MS = 300_000;

export interface S3TestServer {
  /** http://127.0.0.1:PORT, path-style addressing only. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** The AWS_* variables the script printed: the SDK's default chain finds the server with them. */
  readonly env: Readonly<Record<string, string>>;
  /** A client of its own, for tests that look at the bucket behind a store's back. */
  readonly client: S3Client;
  /** A new, empty bucket with a unique name. */
  createBucket(): Promise<string>;
  /** Stops exactly the daemons this server started and removes its directory. */
  stop(): Promise<void>;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [script, ...args],
      { env, timeout: START_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = stderr.trim().split('\n').slice(-15).join('\n');
          reject(new Error(`${script} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${tail}`));
        } else resolvePromise(stdout);
      },
    );
  });
}

/** `export NAME=VALUE` lines, as the script prints them. */
export function parseExportLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

export interface StartS3Options {
  /** The server script; the shared one by default. */
  script?: string;
}

export async function startS3(options: StartS3Options = {}): Promise<S3TestServer> {
  const script = options.script ?? SCRIPT;
  const dir = await createTempDir('outpost-s3-');
  let env: Record<string, string>;
  try {
    env = parseExportLines(await run(script, ['start', dir.path, '0'], { ...process.env, S3TS_INSTALL: 'auto' }));
  } catch (err) {
    await run(script, ['stop', dir.path]).catch(() => {});
    await dir.remove();
    throw err;
  }
  const endpoint = env.AWS_ENDPOINT_URL;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    await run(script, ['stop', dir.path]).catch(() => {});
    await dir.remove();
    throw new Error(`${script} printed no endpoint and credentials: ${Object.keys(env).join(', ')}`);
  }
  const region = env.AWS_REGION ?? 'us-east-1';
  const credentials = { accessKeyId, secretAccessKey };
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  return {
    endpoint,
    region,
    credentials,
    env,
    client,
    async createBucket() {
      const bucket = `test-${randomBytes(6).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async stop() {
      client.destroy();
      try {
        await run(script, ['stop', dir.path]);
      } finally {
        await dir.remove();
      }
    },
  };
}
