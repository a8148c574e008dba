/**
 * Issue 9, item 13: `kill -9` of `outpost main gc` could leave orphan blob files forever. The
 * collector removed the index entries first and moved the file to the trash second; killed in
 * between, it left a file in `blobs/` that no entry named and nothing ever looked at again.
 *
 * The collector now moves the file first, and start-up repair also looks for files without an
 * entry. A kill cannot be aimed at a point between two statements, so each test builds the
 * state such a kill leaves (a failed step, or the leftovers on disk) and checks what follows.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../main/registry/gc.js';
import type { Digest } from '../../src/oci/digest.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage } from '../helpers/registry-http.js';
import { openBlobFiles } from '../helpers/blob-files.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
/** The first log line whose message matches. */
const logged = (msg: RegExp) => lines.map((l) => JSON.parse(l) as { msg: string }).find((l) => msg.test(l.msg));

let dir: TempDir;
let main: TestMain | undefined;
const lines: string[] = [];
const start = async () => {
  main = await startTestMain({ dataDir: dir.path, logger: createLogger({ write: (line) => void lines.push(line) }) });
  return main;
};
beforeEach(async () => {
  dir = await createTempDir('outpost-gc-crash-');
  lines.length = 0;
});
afterEach(async () => {
  await main?.stop();
  main = undefined;
  await dir.remove();
});

describe('outpost main gc interrupted half-way', () => {
  it('leaves the blob fully indexed when it cannot move the file (nothing removed from the index first)', async () => {
    const m = await start();
    const blob = randomBlob(4000);
    await pushBlob(m.url, 'team/app', blob);
    const metadata = m.service.registryMetadata;
    const { store, paths } = await openBlobFiles(m.dataDir);
    // A file where the trash directory should be: the move fails, as a kill right before it would stop it.
    await rm(paths.trashDir, { recursive: true });
    await writeFile(paths.trashDir, '');

    const now = () => Date.now() + 1;
    const gc = () => collectGarbage({ metadata, store, now, graceMs: 0, logger: silentLogger });
    await expect(gc()).rejects.toThrow();
    expect(await metadata.getBlob(blob.digest as Digest)).toBeDefined();
    expect(await exists(paths.blob(blob.digest as Digest))).toBe(true);
    const res = await fetch(`${m.url}/v2/team/app/blobs/${blob.digest}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(blob.bytes))).toBe(true);

    // With its trash back, the next collection removes the unreferenced blob for good.
    await rm(paths.trashDir);
    await mkdir(paths.trashDir);
    expect((await gc()).removed).toBe(1);
    expect(await exists(paths.blob(blob.digest as Digest))).toBe(false);
    await expectOciError(await fetch(`${m.url}/v2/team/app/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
  });
});

describe('start-up repair of files without an index entry', () => {
  it('moves an unreferenced one to the trash and removes it, and says so in the log', async () => {
    let m = await start();
    const orphan = randomBlob(5000);
    const kept = randomBlob(100);
    await pushBlob(m.url, 'team/app', orphan);
    await pushBlob(m.url, 'team/app', kept);
    const { paths } = await openBlobFiles(m.dataDir);
    // What an older collector killed between its transaction and its move left behind.
    await m.service.registryMetadata.dropBlobs([orphan.digest as Digest]);
    await m.stop();
    expect(await exists(paths.blob(orphan.digest as Digest))).toBe(true);

    m = await start();
    expect(await exists(paths.blob(orphan.digest as Digest))).toBe(false);
    const repaired = logged(/repaired the blob index/);
    expect(repaired).toMatchObject({ level: 'info', orphansTrashed: 1, orphansReindexed: 0 });
    await expectOciError(await fetch(`${m.url}/v2/team/app/blobs/${orphan.digest}`), 404, 'BLOB_UNKNOWN');
    expect((await fetch(`${m.url}/v2/team/app/blobs/${kept.digest}`)).status).toBe(200);
  });

  it('indexes again one that a manifest still references, so the image stays pullable', async () => {
    let m = await start();
    const { layers } = await pushImage(m.url, 'team/app', 'v1');
    const layer = layers[0]!;
    await m.service.registryMetadata.dropBlobs([layer.digest as Digest]);
    await m.stop();

    m = await start();
    const res = await fetch(`${m.url}/v2/team/app/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(layer.bytes))).toBe(true);
    expect((await m.service.registryMetadata.getBlob(layer.digest as Digest))?.size).toBe(layer.bytes.length);
    const repaired = logged(/repaired the blob index/);
    expect(repaired).toMatchObject({ orphansReindexed: 1, orphansTrashed: 0 });
  });
});

describe('start-up repair of a file in the wrong place', () => {
  it('starts, leaves a file in the wrong fan-out directory alone and logs it', async () => {
    let m = await start();
    const kept = randomBlob(100);
    await pushBlob(m.url, 'team/app', kept);
    const { paths } = await openBlobFiles(m.dataDir);
    await m.stop();
    // The content 'x' under the name of sha256('y'), one fan-out directory off (as a hand copy leaves it).
    const hex = createHash('sha256').update('y').digest('hex');
    const misplaced = join(paths.blobsDir, 'sha256', '00', hex);
    await mkdir(join(misplaced, '..'), { recursive: true });
    await writeFile(misplaced, 'x');

    m = await start();
    expect(logged(/not where its name puts it/)).toMatchObject({ path: misplaced });
    expect(logged(/repaired the blob index/)).toMatchObject({ strayFiles: 1, failures: 0, orphansTrashed: 0 });
    expect(await exists(misplaced)).toBe(true);
    await expectOciError(await fetch(`${m.url}/v2/team/app/blobs/sha256:${hex}`), 404, 'BLOB_UNKNOWN');
    expect((await fetch(`${m.url}/v2/team/app/blobs/${kept.digest}`)).status).toBe(200);
  });
});
