import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GrowingBlob } from '../../../src/store/blob-store.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { SharedReads } from '../../../edge/cache/shared-reads.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const BLOCK = 1000;
let temp: TempDir;
let file: GrowingBlob;
let reads: number;
const bytes = randomBytes(2500);

beforeEach(async () => {
  temp = await createTempDir('outpost-shared-reads-');
  const growing = await (await FsBlobStore.create(temp.path)).createGrowing();
  reads = 0;
  // The store's own growing file; only its reads are counted.
  file = {
    ...growing,
    read: (buffer, length, position) => {
      reads++;
      return growing.read(buffer, length, position);
    },
  };
  await file.write([bytes], 0);
});
afterEach(async () => {
  await file.drop();
  await temp.remove();
});

describe('SharedReads', () => {
  it('reads a block once for every reader at that place, and gives each the bytes asked for', async () => {
    const shared = new SharedReads(file, bytes.length, BLOCK, 4);
    const [a, b, c] = await Promise.all([
      shared.read(0, 2500, 2500),
      shared.read(100, 2500, 2500),
      shared.read(950, 960, 2500),
    ]);
    expect(reads).toBe(1);
    expect(a.equals(bytes.subarray(0, 1000))).toBe(true);
    expect(b.equals(bytes.subarray(100, 1000))).toBe(true);
    expect(c.equals(bytes.subarray(950, 960))).toBe(true);
    // The last block is short: it ends with the blob.
    expect((await shared.read(2400, 2500, 2500)).equals(bytes.subarray(2400))).toBe(true);
  });

  it('reads a block not wholly on disk for its reader alone, up to what is on disk, and keeps nothing', async () => {
    const shared = new SharedReads(file, bytes.length, BLOCK, 4);
    expect((await shared.read(1000, 2500, 1500)).equals(bytes.subarray(1000, 1500))).toBe(true);
    expect((await shared.read(1200, 2500, 1500)).equals(bytes.subarray(1200, 1500))).toBe(true);
    expect(reads).toBe(2);
  });

  it('keeps at most the most recent blocks', async () => {
    const shared = new SharedReads(file, bytes.length, BLOCK, 1);
    await shared.read(0, 2500, 2500);
    await shared.read(1000, 2500, 2500);
    await shared.read(0, 2500, 2500);
    expect(reads).toBe(3);
  });
});
