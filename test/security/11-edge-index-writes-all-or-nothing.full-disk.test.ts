/**
 * Issue 9, item 11 (the edge's part): every write of the edge's LMDB index
 * (edge/cache/cache-index.ts) is all or nothing. lmdb-js `transaction()` commits what was written
 * before a throw, and the index changed its in-memory totals before the commit was known to
 * succeed; a failed commit (disk full) left totals wrong and lost gathered access times.
 *
 * Each write path is run against a real LMDB on a 1 MiB tmpfs that is full: it rejects with
 * `CacheIndexWriteError` and changes nothing, neither in LMDB nor in memory; once space is
 * freed, the same writes succeed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import type { Digest } from '../../src/oci/digest.js';
import { CacheIndex, CacheIndexWriteError } from '../../edge/cache/cache-index.js';

let disk: SmallDisk;
let mountPoint: string;
let index: CacheIndex;
const filler = () => join(mountPoint, 'filler');
const digest = (label: string) => `sha256:${Buffer.from(label).toString('hex').padEnd(64, '0').slice(0, 64)}` as Digest;
const [KEPT, PINNED, TOUCHED, GONE] = ['kept', 'pinned', 'touched', 'gone'].map(digest) as [
  Digest,
  Digest,
  Digest,
  Digest,
];

/**
 * Fills the file system, then writes throwaway entries until LMDB has no free page left to reuse:
 * from then on every write needs a new page, and every commit fails.
 */
async function fillDisk(): Promise<void> {
  await writeFile(filler(), Buffer.alloc(2 * 1024 * 1024)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOSPC') throw err;
  });
  for (let i = 0; i < 200; i++) {
    try {
      await index.add(digest(`throwaway-${i}`), 1, 1);
    } catch (err) {
      if (err instanceof CacheIndexWriteError) return;
      throw err;
    }
  }
  throw new Error('the index never ran out of space');
}

async function expectWriteFailure(write: Promise<unknown>, operation: string): Promise<void> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CacheIndexWriteError);
  expect(err).toMatchObject({ code: 'OUTPOST_INDEX_WRITE_FAILED', operation });
  expect(['ENOSPC', 'EIO']).toContain((err as CacheIndexWriteError).causeCode);
}

/** What the index holds, from LMDB (entries, keys) and from memory (totals, gathered access). */
const snapshot = () => ({
  bytes: index.bytes,
  count: index.count,
  entries: [...index.entries()],
  jwks: index.getJwks(),
});

beforeAll(async () => {
  disk = await mountSmallDisk('outpost-index-full-', '1m');
  mountPoint = disk.path;
  index = new CacheIndex(join(mountPoint, 'db'));
  await index.add(KEPT, 1000, 1);
  await index.add(PINNED, 2000, 1);
  await index.add(TOUCHED, 3000, 1);
  await index.putJwks({ keys: [{ kid: 'first' }], fetchedAt: 1 });
  await fillDisk();
});
afterAll(async () => {
  await index?.close().catch(() => {});
  await disk?.remove();
});

describe('CacheIndex writes on a full disk reject with CacheIndexWriteError and change nothing', () => {
  it('add: no entry, totals unchanged', async () => {
    const before = snapshot();
    await expectWriteFailure(index.add(GONE, 5000, 2), 'add');
    expect(index.get(GONE)).toBeUndefined();
    expect(snapshot()).toEqual(before);
  });

  it('add of a blob already indexed: its entry and the byte total unchanged', async () => {
    const before = snapshot();
    await expectWriteFailure(index.add(KEPT, 9999, 2), 'add');
    expect(index.get(KEPT)?.size).toBe(1000);
    expect(snapshot()).toEqual(before);
  });

  it('remove: the entry, the byte total and its gathered access times stay', async () => {
    index.touch(KEPT, 50);
    const before = snapshot();
    await expectWriteFailure(index.remove(KEPT), 'remove');
    expect(index.get(KEPT)).toBeDefined();
    expect(snapshot()).toEqual(before);
  });

  it('setPinned: the pin unchanged', async () => {
    await expectWriteFailure(index.setPinned(PINNED, true), 'pin');
    expect(index.get(PINNED)?.pinned).toBe(false);
  });

  it('flushAccess: LMDB unchanged, and the access times wait for the next flush', async () => {
    index.touch(TOUCHED, 100);
    index.touch(TOUCHED, 200);
    const stored = index.get(TOUCHED);
    const before = snapshot();
    await expectWriteFailure(index.flushAccess(), 'access times');
    expect(index.get(TOUCHED)).toEqual(stored);
    expect(snapshot()).toEqual(before);
    expect(before.entries.find((e) => e.digest === TOUCHED)?.entry).toMatchObject({ lastAccess: 200, hits: 2 });
  });

  it('putJwks: the cached keys unchanged', async () => {
    await expectWriteFailure(index.putJwks({ keys: [{ kid: 'second' }], fetchedAt: 2 }), 'signing keys');
    expect(index.getJwks()).toEqual({ keys: [{ kid: 'first' }], fetchedAt: 1 });
  });
});

describe('a write that throws half way (not a disk error) writes nothing either', () => {
  it('flushAccess that throws on its second entry leaves the first one as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-index-throw-'));
    const other = new CacheIndex(join(dir, 'db'));
    try {
      await other.add(KEPT, 1000, 1);
      await other.add(PINNED, 1000, 1);
      const stored = other.get(KEPT)!;
      // A time that is not a number makes the second update throw inside the transaction, after
      // the first entry was written (a plain lmdb-js transaction() would commit that one).
      other.touch(KEPT, 300);
      other.touch(PINNED, 10n as unknown as number);
      await expect(other.flushAccess()).rejects.toBeInstanceOf(CacheIndexWriteError);
      expect(other.get(KEPT)).toEqual(stored);
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('once space is freed', () => {
  it('every write path succeeds and the totals match LMDB', async () => {
    await rm(filler(), { force: true });
    await index.add(GONE, 5000, 3);
    expect(await index.setPinned(PINNED, true)).toBe(true);
    expect(await index.remove(KEPT)).toBe(true);
    await index.putJwks({ keys: [{ kid: 'second' }], fetchedAt: 2 });
    index.touch(TOUCHED, 400);
    expect(await index.flushAccess()).toBeGreaterThanOrEqual(1);

    expect(index.get(GONE)?.size).toBe(5000);
    expect(index.get(PINNED)?.pinned).toBe(true);
    expect(index.get(KEPT)).toBeUndefined();
    expect(index.get(TOUCHED)).toMatchObject({ lastAccess: 400, hits: 3 });
    expect(index.getJwks()?.keys).toEqual([{ kid: 'second' }]);
    const entries = [...index.entries()];
    expect(index.bytes).toBe(entries.reduce((sum, e) => sum + e.entry.size, 0));
    expect(index.count).toBe(entries.length);
  });
});
