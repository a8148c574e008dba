import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import type { Digest } from '../../src/oci/digest.js';
import { BlobPaths } from '../../src/store/blob-paths.js';
import { openBlobFiles } from '../helpers/blob-files.js';

let dir: TempDir;
let main: TestMain | undefined;
afterEach(async () => {
  await main?.stop();
  main = undefined;
  await dir?.remove();
});

async function pushBlob(url: string, repo: string, blob: ReturnType<typeof randomBlob>): Promise<void> {
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    body: blob.bytes,
  });
  expect(res.status).toBe(201);
}

describe('main start-up repair', () => {
  it('forgets an indexed blob whose file is gone, so it reads as unknown and can be pushed again', async () => {
    dir = await createTempDir();
    main = await startTestMain({ dataDir: dir.path });
    const blob = randomBlob(2000);
    await pushBlob(main.url, 'team/app', blob);
    const path = new BlobPaths(dir.path).blob(blob.digest as Digest);
    await main.stop();
    await rm(path);

    main = await startTestMain({ dataDir: dir.path });
    expect(await main.service.registryMetadata.getBlob(blob.digest as Digest)).toBeUndefined();
    expect((await fetch(`${main.url}/v2/team/app/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(404);
    await pushBlob(main.url, 'team/app', blob);
    expect(
      Buffer.from(await (await fetch(`${main.url}/v2/team/app/blobs/${blob.digest}`)).arrayBuffer()).equals(blob.bytes),
    ).toBe(true);
  });

  it('puts back a blob the garbage collector had moved to the trash when the index still names it', async () => {
    dir = await createTempDir();
    main = await startTestMain({ dataDir: dir.path });
    const blob = randomBlob(3000);
    await pushBlob(main.url, 'team/app', blob);
    await main.stop();
    // What a collector killed between its move to the trash and its transaction leaves.
    expect(await (await openBlobFiles(dir.path)).store.trash(blob.digest as Digest)).toBeDefined();

    main = await startTestMain({ dataDir: dir.path });
    const res = await fetch(`${main.url}/v2/team/app/blobs/${blob.digest}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });
});
