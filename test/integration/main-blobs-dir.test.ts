/**
 * `--blobs DIR` / `OUTPOST_MAIN_BLOBS`: main keeps blob bytes and upload sessions in a directory
 * of their own (such as a shared file system), apart from the data directory (LMDB, keys).
 * The gc command goes through the built CLI (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { BlobPaths } from '../../src/store/blob-paths.js';
import { randomBlob, sha256 } from '../helpers/oci-fixtures.js';
import { pushBlob, startUpload, withDigest } from '../helpers/registry-http.js';
import { OUTPOST_BIN, startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

let data: TempDir;
let blobs: TempDir;
let main: TestMain | undefined;

beforeEach(async () => {
  data = await createTempDir('outpost-main-data-');
  blobs = await createTempDir('outpost-main-blobs-');
});
afterEach(async () => {
  await main?.stop();
  main = undefined;
  await data.remove();
  await blobs.remove();
});

const start = () => startTestMain({ dataDir: data.path, env: { OUTPOST_MAIN_BLOBS: blobs.path } });

async function pulled(repo: string, digest: string): Promise<string> {
  const res = await fetch(`${main!.url}/v2/${repo}/blobs/${digest}`);
  expect(res.status).toBe(200);
  return sha256(Buffer.from(await res.arrayBuffer()));
}

describe('main with --blobs DIR', () => {
  it('keeps pushed blobs and upload sessions in that directory, none in the data directory', async () => {
    main = await start();
    const whole = randomBlob(3000);
    await pushBlob(main.url, 'team/app', whole);
    const chunked = randomBlob(5000);
    const session = await startUpload(main.url, 'team/app');
    const patch = await fetch(session.url, { method: 'PATCH', body: chunked.bytes });
    expect(patch.status).toBe(202);
    expect(await readdir(join(blobs.path, 'uploads'))).toEqual([session.uuid]);
    const put = await fetch(withDigest(new URL(patch.headers.get('location')!, main.url).href, chunked.digest), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);

    const paths = new BlobPaths(blobs.path);
    for (const blob of [whole, chunked]) {
      expect(existsSync(paths.blob(blob.digest as Digest))).toBe(true);
      expect(existsSync(new BlobPaths(data.path).blob(blob.digest as Digest))).toBe(false);
      expect(await pulled('team/app', blob.digest)).toBe(blob.digest);
    }
    expect(await readdir(join(blobs.path, 'uploads'))).toEqual([]);
    expect((await readdir(data.path)).sort()).toEqual(['db', 'keys']);

    await main.stop();
    main = await start();
    expect(await pulled('team/app', whole.digest)).toBe(whole.digest);
  });

  it('removes at start only leftovers older than the upload age, which no other replica still writes', async () => {
    const tmp = join(blobs.path, 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'another-replica-writing'), 'in progress');
    await writeFile(join(tmp, 'crashed-long-ago'), 'left over');
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await utimes(join(tmp, 'crashed-long-ago'), twoDaysAgo, twoDaysAgo);

    main = await start();
    expect(await readdir(tmp)).toEqual(['another-replica-writing']);
  });

  it('lets `outpost main gc --blobs DIR` collect from that directory', async () => {
    main = await start();
    const orphan = randomBlob(2000);
    await pushBlob(main.url, 'team/app', orphan);
    await main.stop();
    main = undefined;

    const run = promisify(execFile);
    const args = [OUTPOST_BIN, 'main', 'gc', '--data', data.path, '--blobs', blobs.path];
    const env = { ...process.env, OUTPOST_MAIN_STORAGE__GC_GRACE_PERIOD: '0s' };
    const { stdout } = await run(process.execPath, args, { env });
    expect(stdout).toMatch(/^removed 1 of 1 blobs/);
    expect(existsSync(new BlobPaths(blobs.path).blob(orphan.digest as Digest))).toBe(false);
  });

  it('refuses to start when the blob directory cannot be used, naming the setting', async () => {
    const file = join(data.path, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(startTestMain({ dataDir: data.path, env: { OUTPOST_MAIN_BLOBS: file } })).rejects.toThrow(
      `data directory ${file}: exists and is not a directory (set it with --blobs / OUTPOST_MAIN_BLOBS)`,
    );
  });
});
