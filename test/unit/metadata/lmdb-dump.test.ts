/**
 * Dumps of LMDB tables for `outpost main migrate`: records in key order, in batches, each batch
 * naming its last key, and a dump resumed after a key yields exactly the records after it.
 */
import { describe, expect, it } from 'vitest';
import { dumpTable } from '../../../main/metadata/lmdb/dump-table.js';
import { dumpLmdbRegistry } from '../../../main/metadata/lmdb/registry-dump.js';
import { key, openLmdb } from '../../../src/store/lmdb.js';
import { createTempDir } from '../../helpers/temp-dir.js';

async function withRoot(fn: (root: ReturnType<typeof openLmdb>) => Promise<void>): Promise<void> {
  const temp = await createTempDir('outpost-dump-');
  const root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  try {
    await fn(root);
  } finally {
    await root.close();
    await temp.remove();
  }
}

const collect = async <T>(batches: AsyncIterable<{ records: T[]; last: string }>) => {
  const all: Array<{ records: T[]; last: string }> = [];
  for await (const batch of batches) all.push(batch);
  return all;
};

describe('dumpTable', () => {
  it('yields every record in key order, in batches of at most the size, each with its last key', async () => {
    await withRoot(async (root) => {
      const table = root.openDB<number, string>({ name: 't', encoding: 'msgpack' });
      for (const [k, v] of [
        ['c', 3],
        ['a', 1],
        ['e', 5],
        ['b', 2],
        ['d', 4],
      ] as const)
        await table.put(k, v);
      const source = dumpTable(table, (k, v) => `${k}=${v}`);
      expect(await source.count()).toBe(5);
      expect(await collect(source.dump(undefined, 2))).toEqual([
        { records: ['a=1', 'b=2'], last: 'b' },
        { records: ['c=3', 'd=4'], last: 'd' },
        { records: ['e=5'], last: 'e' },
      ]);
    });
  });

  it('resumes after the last key of a batch, and yields nothing after the last record', async () => {
    await withRoot(async (root) => {
      const table = root.openDB<number, string>({ name: 't', encoding: 'msgpack' });
      for (const [k, v] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const)
        await table.put(k, v);
      const source = dumpTable(table, (k) => k);
      expect(await collect(source.dump('b', 10))).toEqual([{ records: ['c'], last: 'c' }]);
      expect(await collect(source.dump('c', 10))).toEqual([]);
    });
  });
});

describe('the registry dump', () => {
  it('spells out the key parts of tags, blob references and events as fields', async () => {
    await withRoot(async (root) => {
      const digest = `sha256:${'a'.repeat(64)}`;
      await root.openDB({ name: 'tags', encoding: 'msgpack' }).put(key('acme/app', 'v1'), { digest, updatedAt: 7 });
      await root.openDB({ name: 'blobRefs', encoding: 'msgpack' }).put(key(digest, 'acme/app', digest), true);
      const event = { type: 'push', actor: 'admin', at: 7, tag: 'v1', digest };
      await root.openDB({ name: 'events', encoding: 'msgpack' }).put(key('acme/app', '7', '1'), event);
      const dump = dumpLmdbRegistry(root);
      expect((await collect(dump.tags.dump(undefined, 10)))[0]?.records).toEqual([
        { repo: 'acme/app', tag: 'v1', digest, updatedAt: 7 },
      ]);
      expect((await collect(dump.blobRefs.dump(undefined, 10)))[0]?.records).toEqual([
        { blob: digest, repo: 'acme/app', manifest: digest },
      ]);
      expect((await collect(dump.events.dump(undefined, 10)))[0]?.records).toEqual([{ repo: 'acme/app', event }]);
    });
  });
});
