import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { key, openLmdb, prefixRange, splitKey, type Database, type RootDatabase } from '../../../src/store/lmdb.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** The string right after `value` among strings of its length: its last character plus one. */
const bump = (value: string): string =>
  value.slice(0, -1) + String.fromCharCode(value.charCodeAt(value.length - 1) + 1);

describe('key and splitKey', () => {
  it('join parts with one separator that sorts below every character of names, tags and digests', () => {
    const joined = key('library/app', 'latest');
    const sep = joined.slice('library/app'.length, -'latest'.length);
    expect(sep).toHaveLength(1);
    // '-' and '.' are the lowest characters a name, tag or digest can hold.
    expect(sep < '-').toBe(true);
    expect(key('only')).toBe('only');
  });

  it('splitKey gives back the parts key joined', () => {
    const parts = ['library/app', `sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`];
    expect(splitKey(key(...parts))).toEqual(parts);
  });
});

describe('prefixRange bounds', () => {
  it('starts at the prefix followed by the separator and ends just past it, for one part', () => {
    const start = key('app', '');
    expect(prefixRange(['app'])).toEqual({ start, end: bump(start) });
  });

  it('joins several parts into one prefix', () => {
    const start = key('app', 'sha256:x', '');
    expect(prefixRange(['app', 'sha256:x'])).toEqual({ start, end: bump(start) });
  });

  it('starts just past prefix+after when after is given', () => {
    expect(prefixRange(['app'], 'v1')).toEqual({ start: key('app', 'v1', ''), end: bump(key('app', '')) });
  });

  it('covers every key when there are no parts', () => {
    expect(prefixRange([])).toEqual({ start: '', end: '\uffff' });
  });
});

describe('prefixRange on a real LMDB', () => {
  let dir: TempDir;
  let root: RootDatabase;
  let db: Database<number, string>;

  // `app`'s tags, in byte order; neighbours share `app` as a string prefix but not as a part.
  const APP_TAGS = ['1.0', 'A', '_x', 'latest', 'v1', 'v1.0', 'v10', 'v2'];
  const NEIGHBOURS = [
    key('ap', 'z'),
    key('app-x', 'latest'),
    key('app/sub', 'latest'),
    key('appx', 'latest'),
    key('apq', 'a'),
  ];

  beforeEach(async () => {
    dir = await createTempDir();
    root = openLmdb({ path: dir.path, mapSizeBytes: 16 * 2 ** 20 });
    db = root.openDB<number, string>({ name: 'tags' });
    // Inserted out of order, so the order read back is LMDB's, not ours.
    const all = [...NEIGHBOURS, ...[...APP_TAGS].reverse().map((tag) => key('app', tag)), 'app'];
    await root.transaction(() => {
      for (const [i, k] of all.entries()) db.put(k, i);
    });
  });

  afterEach(async () => {
    await root.close();
    await dir.remove();
  });

  const keysIn = (range: { start: string; end: string }, limit?: number): string[] =>
    [...db.getKeys(limit === undefined ? range : { ...range, limit })].map(String);
  const tagsIn = (range: { start: string; end: string }, limit?: number): string[] =>
    keysIn(range, limit).map((k) => splitKey(k)[1]!);

  it('yields exactly the keys of one repository, none of repositories whose names extend it', () => {
    const keys = keysIn(prefixRange(['app']));
    expect(keys).toHaveLength(APP_TAGS.length);
    expect(keys.every((k) => splitKey(k)[0] === 'app' && splitKey(k).length === 2)).toBe(true);
  });

  it('does not yield the key that equals the bare prefix', () => {
    expect(keysIn(prefixRange(['app']))).not.toContain('app');
  });

  it('yields them in byte order of what follows the prefix', () => {
    expect(tagsIn(prefixRange(['app']))).toEqual(APP_TAGS);
  });

  it('resumes strictly after `after`, keeping keys that extend it', () => {
    expect(tagsIn(prefixRange(['app'], 'v1'))).toEqual(['v1.0', 'v10', 'v2']);
  });

  it('resumes after a value that is not stored at the next greater one', () => {
    expect(tagsIn(prefixRange(['app'], 'v1.5'))).toEqual(['v10', 'v2']);
    expect(tagsIn(prefixRange(['app'], ''))).toEqual(APP_TAGS);
  });

  it('yields nothing after the last key of the repository, not the next repository', () => {
    expect(keysIn(prefixRange(['app'], 'v2'))).toEqual([]);
    expect(keysIn(prefixRange(['app'], 'zzz'))).toEqual([]);
  });

  it('pages through every key exactly once with limit and after', () => {
    const seen: string[] = [];
    let last: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = tagsIn(prefixRange(['app'], last), 3);
      if (page.length === 0) break;
      seen.push(...page);
      last = page[page.length - 1];
    }
    expect(seen).toEqual(APP_TAGS);
  });

  it('yields nothing for a repository without keys, even one that sorts between others', () => {
    expect(keysIn(prefixRange(['apo']))).toEqual([]);
    expect(keysIn(prefixRange(['zzz']))).toEqual([]);
  });

  it('narrows to the keys under several parts', async () => {
    const subject = `sha256:${'1'.repeat(64)}`;
    const other = `sha256:${'2'.repeat(64)}`;
    await root.transaction(() => {
      db.put(key('repo', subject, 'r2'), 1);
      db.put(key('repo', subject, 'r1'), 2);
      db.put(key('repo', other, 'r3'), 3);
    });
    expect(keysIn(prefixRange(['repo', subject])).map((k) => splitKey(k)[2])).toEqual(['r1', 'r2']);
  });

  it('reads every key back as the string that was written, also from 64 characters on', async () => {
    // lmdb-js (ordered-binary) writes strings shorter than 64 characters with control bytes
    // escaped and longer ones as plain UTF-8, reading a NUL back as an array separator.
    const long = key('app', `sha256:${'c'.repeat(64)}`);
    expect(long.length).toBeGreaterThanOrEqual(64);
    await db.put(long, 1);
    expect(db.get(long)).toBe(1);
    const read = keysIn(prefixRange(['app'])).find((k) => k.includes('sha256'));
    expect(read).toBe(long);
  });

  it('keeps short and long keys of one prefix together and in order', async () => {
    const longTag = `v3-${'x'.repeat(70)}`;
    await db.put(key('app', longTag), 1);
    await db.put(key('apq', longTag), 2);
    expect(tagsIn(prefixRange(['app']))).toEqual([...APP_TAGS.slice(0, -1), 'v2', longTag]);
    expect(tagsIn(prefixRange(['app'], 'v2'))).toEqual([longTag]);
    expect(tagsIn(prefixRange(['app'], longTag))).toEqual([]);
  });

  it('covers every key, in order, when there are no parts', () => {
    const keys = keysIn(prefixRange([]));
    expect(keys).toHaveLength(NEIGHBOURS.length + APP_TAGS.length + 1);
    expect(keys).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe('openLmdb', () => {
  it('stores structured values and reads them back after reopening', async () => {
    const dir = await createTempDir();
    try {
      const value = {
        digest: `sha256:${'a'.repeat(64)}`,
        updatedAt: 1714564800000,
        blobs: ['x', 'y'],
        bytes: new Uint8Array([1, 2, 3]),
      };
      const first = openLmdb({ path: dir.path, mapSizeBytes: 16 * 2 ** 20 });
      await first.openDB<typeof value, string>({ name: 'manifests' }).put(key('app', 'latest'), value);
      await first.close();

      const second = openLmdb({ path: dir.path, mapSizeBytes: 16 * 2 ** 20 });
      const read = second.openDB<typeof value, string>({ name: 'manifests' }).get(key('app', 'latest'));
      await second.close();
      expect(read).toEqual({ ...value, bytes: expect.any(Uint8Array) });
      expect([...read!.bytes]).toEqual([1, 2, 3]);
    } finally {
      await dir.remove();
    }
  });
});
