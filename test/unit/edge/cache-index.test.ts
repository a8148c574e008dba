import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/oci/digest.js';
import { CacheIndex } from '../../../edge/cache/cache-index.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

let temp: TempDir;
let index: CacheIndex;
const dbPath = () => join(temp.path, 'db');

beforeEach(async () => {
  temp = await createTempDir('outpost-cache-index-');
  index = new CacheIndex(dbPath());
});
afterEach(async () => {
  await index.close();
  await temp.remove();
});

describe('CacheIndex entries', () => {
  it('adds an entry with its size, store time, last access and no hits, unpinned', async () => {
    await index.add(digest(1), 123, 1000);
    expect(index.get(digest(1))).toEqual({ size: 123, storedAt: 1000, lastAccess: 1000, hits: 0, pinned: false });
    expect(index.get(digest(2))).toBeUndefined();
  });

  it('keeps the byte total and the count in step with adds and removes', async () => {
    await index.add(digest(1), 100, 1);
    await index.add(digest(2), 50, 1);
    expect([index.bytes, index.count]).toEqual([150, 2]);
    expect(await index.remove(digest(1))).toBe(true);
    expect([index.bytes, index.count]).toEqual([50, 1]);
  });

  it('re-adding a digest replaces its size without counting it twice, and keeps storedAt, hits and pin', async () => {
    await index.add(digest(1), 100, 1);
    await index.setPinned(digest(1), true);
    index.touch(digest(1), 5);
    await index.flushAccess();
    await index.add(digest(1), 100, 9);
    expect(index.bytes).toBe(100);
    expect(index.get(digest(1))).toEqual({ size: 100, storedAt: 1, lastAccess: 9, hits: 1, pinned: true });
  });

  it('remove answers false for a digest that is not indexed', async () => {
    expect(await index.remove(digest(7))).toBe(false);
    expect(index.bytes).toBe(0);
  });

  it('pins and unpins an indexed blob; answers false for an unknown one', async () => {
    await index.add(digest(1), 10, 1);
    expect(await index.setPinned(digest(1), true)).toBe(true);
    expect(index.get(digest(1))?.pinned).toBe(true);
    expect(await index.setPinned(digest(1), false)).toBe(true);
    expect(index.get(digest(1))?.pinned).toBe(false);
    expect(await index.setPinned(digest(2), true)).toBe(false);
  });

  it('survives a reopen, with the byte total recomputed from the entries', async () => {
    await index.add(digest(1), 100, 1);
    await index.add(digest(2), 20, 1);
    await index.close();
    index = new CacheIndex(dbPath());
    expect([index.bytes, index.count]).toEqual([120, 2]);
    expect(index.get(digest(2))?.size).toBe(20);
  });
});

describe('CacheIndex access batching', () => {
  beforeEach(async () => {
    await index.add(digest(1), 10, 100);
    await index.add(digest(2), 10, 100);
  });

  it('does not write a touch until flushAccess', async () => {
    index.touch(digest(1), 500);
    expect(index.get(digest(1))).toMatchObject({ lastAccess: 100, hits: 0 });
    expect(await index.flushAccess()).toBe(1);
    expect(index.get(digest(1))).toMatchObject({ lastAccess: 500, hits: 1 });
  });

  it('gathers several touches of one blob into one update: the latest time and every hit', async () => {
    index.touch(digest(1), 300);
    index.touch(digest(1), 200);
    index.touch(digest(1), 400);
    index.touch(digest(2), 150);
    expect(await index.flushAccess()).toBe(2);
    expect(index.get(digest(1))).toMatchObject({ lastAccess: 400, hits: 3 });
    expect(index.get(digest(2))).toMatchObject({ lastAccess: 150, hits: 1 });
    expect(await index.flushAccess()).toBe(0);
  });

  it('never moves last access backwards', async () => {
    index.touch(digest(1), 50);
    await index.flushAccess();
    expect(index.get(digest(1))?.lastAccess).toBe(100);
  });

  it('lists entries with pending access times and hits already applied', async () => {
    index.touch(digest(2), 900);
    index.touch(digest(2), 901);
    const listed = new Map([...index.entries()].map(({ digest: d, entry }) => [d, entry]));
    expect(listed.get(digest(2))).toMatchObject({ lastAccess: 901, hits: 2 });
    expect(listed.get(digest(1))).toMatchObject({ lastAccess: 100, hits: 0 });
  });

  it('drops pending access of a removed blob instead of resurrecting it on flush', async () => {
    index.touch(digest(1), 700);
    await index.remove(digest(1));
    await index.flushAccess();
    expect(index.get(digest(1))).toBeUndefined();
  });

  it('flushes pending access on close', async () => {
    index.touch(digest(1), 800);
    await index.close();
    index = new CacheIndex(dbPath());
    expect(index.get(digest(1))).toMatchObject({ lastAccess: 800, hits: 1 });
  });
});

describe('CacheIndex JWKS', () => {
  it('has none until one is stored, then keeps it across a reopen', async () => {
    expect(index.getJwks()).toBeUndefined();
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }], fetchedAt: 42 };
    await index.putJwks(jwks);
    expect(index.getJwks()).toEqual(jwks);
    await index.close();
    index = new CacheIndex(dbPath());
    expect(index.getJwks()).toEqual(jwks);
  });
});
