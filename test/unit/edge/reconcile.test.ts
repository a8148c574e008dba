/**
 * The edge's start-up reconcile (edge/cache/reconcile.ts) over a real store and index in a temp
 * directory. Issue 9, item 13 family: a file in the wrong fan-out directory stopped the edge.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheIndex } from '../../../edge/cache/cache-index.js';
import { reconcile } from '../../../edge/cache/reconcile.js';
import { createLogger } from '../../../src/log/logger.js';
import type { Digest } from '../../../src/oci/digest.js';
import { BlobPaths } from '../../../src/store/blob-paths.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let temp: TempDir;
let index: CacheIndex;
let store: FsBlobStore;
// The layout, to lay files down as a crash or a hand copy leaves them.
let paths: BlobPaths;
const lines: string[] = [];
const logger = createLogger({ write: (line) => void lines.push(line) });

beforeEach(async () => {
  temp = await createTempDir('outpost-reconcile-');
  store = await FsBlobStore.create(temp.path);
  paths = new BlobPaths(temp.path);
  index = new CacheIndex(join(temp.path, 'db'));
  lines.length = 0;
});
afterEach(async () => {
  await index.close();
  await temp.remove();
});

describe('edge start-up reconcile', () => {
  it('indexes a file in its place that has no entry', async () => {
    const digest = `sha256:${sha256('y')}` as Digest;
    await mkdir(join(paths.blob(digest), '..'), { recursive: true });
    await writeFile(paths.blob(digest), 'y');
    const report = await reconcile(store, index, Date.now(), logger);
    expect(report).toMatchObject({ filesIndexed: 1, strayFiles: 0, failures: 0 });
    expect(index.get(digest)?.size).toBe(1);
  });

  it('leaves a file in the wrong fan-out directory alone, logs it, and does not stop', async () => {
    const hex = sha256('y');
    const misplaced = join(paths.blobsDir, 'sha256', '00', hex);
    await mkdir(join(misplaced, '..'), { recursive: true });
    await writeFile(misplaced, 'x');

    const report = await reconcile(store, index, Date.now(), logger);
    expect(report).toMatchObject({ filesIndexed: 0, strayFiles: 1, failures: 0 });
    expect(index.get(`sha256:${hex}` as Digest)).toBeUndefined();
    expect((await stat(misplaced)).size).toBe(1);
    const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string; path?: string });
    expect(warning).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/not where its name puts it/),
        path: misplaced,
      }),
    );
  });
});
