import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { digestOf } from '../../../src/oci/digest.js';
import { describeBlobStore } from '../../contract/blob-store.js';
import { describeLocalBlobStore } from '../../contract/local-blob-store.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const fsFixture = async () => {
  const dir = await createTempDir();
  return { store: await FsBlobStore.create(dir.path), cleanup: dir.remove };
};
describeBlobStore('FsBlobStore', fsFixture);
describeLocalBlobStore('FsBlobStore', fsFixture);

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

describe('FsBlobStore on disk', () => {
  let dir: TempDir;
  let store: FsBlobStore;

  beforeEach(async () => {
    dir = await createTempDir();
    store = await FsBlobStore.create(dir.path);
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('create() lays out blobs, uploads, tmp and trash under the root', async () => {
    expect((await readdir(dir.path)).sort()).toEqual(['blobs', 'tmp', 'trash', 'uploads']);
  });

  it('create() keeps the blobs of an existing root', async () => {
    const staged = await store.stage(once(Buffer.from('kept')));
    await store.commit(staged);
    const again = await FsBlobStore.create(dir.path);
    expect(await again.stat(staged.digest)).toEqual({ size: 4 });
  });

  it('stages under tmp/ and removes the temporary name on commit', async () => {
    const staged = await store.stage(once(Buffer.from('content')));
    expect(await readdir(join(dir.path, 'tmp'))).toHaveLength(1);
    await store.commit(staged);
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
  });

  it('commit() still fails with ENOENT when the temporary file vanished and the blob is not stored', async () => {
    const staged = await store.stage(once(Buffer.from('vanishing')));
    await store.discard(staged);
    await expect(store.commit(staged)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await store.stat(staged.digest)).toBeUndefined();
  });

  it('stores a committed blob at blobs/<algorithm>/<first two hex>/<hex>', async () => {
    const bytes = Buffer.from('layout');
    const digest = digestOf(bytes);
    const hex = digest.slice('sha256:'.length);
    await store.commit(await store.stage(once(bytes)));
    const info = await stat(join(dir.path, 'blobs', 'sha256', hex.slice(0, 2), hex));
    expect(info.size).toBe(bytes.byteLength);
  });

  it('keeps an upload session in uploads/<id>, and commits a completed one from there without a copy', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const bytes = Buffer.from('uploaded');
    const state = await store.uploads.begin(id);
    const { size } = await store.uploads.append(id, state, 0, once(bytes));
    expect((await stat(join(dir.path, 'uploads', id))).size).toBe(size);
    const staged = await store.uploads.complete(id, state, { digest: digestOf(bytes), size });
    const before = await stat(join(dir.path, 'uploads', id));
    await store.commit(staged);
    const hex = digestOf(bytes).slice('sha256:'.length);
    expect((await stat(join(dir.path, 'blobs', 'sha256', hex.slice(0, 2), hex))).ino).toBe(before.ino);
    expect(await readdir(join(dir.path, 'uploads'))).toEqual([]);
  });

  it('trashes under trash/ by a rename, and lists trash left by older versions (<hex>.<random>)', async () => {
    const bytes = Buffer.from('old trash');
    const digest = digestOf(bytes);
    await store.commit(await store.stage(once(bytes)));
    await store.trash(digest);
    expect(await readdir(join(dir.path, 'trash'))).toHaveLength(1);
    await writeFile(join(dir.path, 'trash', 'not-a-digest.1'), 'x');
    const listed: string[] = [];
    for await (const trashed of store.listTrash()) listed.push(trashed.digest);
    expect(listed).toEqual([digest]);
  });

  it('list() skips files whose names are not digests, and describes them to onStray', async () => {
    const digest = digestOf(Buffer.from('real'));
    await store.commit(await store.stage(once(Buffer.from('real'))));
    const prefixDir = join(dir.path, 'blobs', 'sha256', digest.slice(7, 9));
    await writeFile(join(prefixDir, 'not-a-digest'), 'x');
    await writeFile(join(prefixDir, `${digest.slice(7)}.partial`), 'x');
    await mkdir(join(dir.path, 'blobs', 'md5', 'ab'), { recursive: true });
    await writeFile(join(dir.path, 'blobs', 'md5', 'ab', 'ab'.repeat(16)), 'x');
    const listed: string[] = [];
    const strays: string[] = [];
    for await (const d of store.list((where) => strays.push(where))) listed.push(d);
    expect(listed).toEqual([digest]);
    expect(strays.sort()).toEqual(
      [
        join(prefixDir, 'not-a-digest'),
        join(prefixDir, `${digest.slice(7)}.partial`),
        join(dir.path, 'blobs', 'md5', 'ab', 'ab'.repeat(16)),
      ].sort(),
    );
  });

  it('removeTemporaryFiles() also empties trash/ left by an interrupted garbage collection', async () => {
    await writeFile(join(dir.path, 'trash', 'abc.1'), 'x');
    await mkdir(join(dir.path, 'tmp', 'a-directory'));
    expect(await store.removeTemporaryFiles()).toBe(2);
    expect(await readdir(join(dir.path, 'trash'))).toEqual([]);
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
  });

  it('removeTemporaryFiles(olderThan) keeps a blob trashed just now, however old its content', async () => {
    const bytes = Buffer.from('old content, trashed now');
    const digest = digestOf(bytes);
    await store.commit(await store.stage(once(bytes)));
    const hex = digest.slice('sha256:'.length);
    const longAgo = new Date(Date.now() - 7 * 24 * 3600_000);
    await utimes(join(dir.path, 'blobs', 'sha256', hex.slice(0, 2), hex), longAgo, longAgo);
    await store.trash(digest);
    expect(await store.removeTemporaryFiles(Date.now() - 60_000)).toBe(0);
    expect(await readdir(join(dir.path, 'trash'))).toHaveLength(1);
  });

  it('removeTemporaryFiles() leaves upload sessions alone (their state lives in LMDB)', async () => {
    const session = join(dir.path, 'uploads', '00000000-0000-4000-8000-000000000000');
    await writeFile(session, 'partial upload');
    expect(await store.removeTemporaryFiles()).toBe(0);
    expect(await readdir(join(dir.path, 'uploads'))).toEqual(['00000000-0000-4000-8000-000000000000']);
  });
});

describe('FsBlobStore.hardLinkInto (outpost main backup --link)', () => {
  let dirs: TempDir[];
  beforeEach(() => {
    dirs = [];
  });
  afterEach(async () => {
    for (const d of dirs) await d.remove();
  });
  const newStore = async () => {
    const d = await createTempDir();
    dirs.push(d);
    return { path: d.path, store: await FsBlobStore.create(d.path) };
  };

  it('gives the target the same file, under the same name, without copying it', async () => {
    const source = await newStore();
    const target = await newStore();
    const staged = await source.store.stage(once(Buffer.from('linked bytes')));
    await source.store.commit(staged);
    expect(await source.store.hardLinkInto(staged.digest, target.store)).toBe(true);
    expect(await target.store.stat(staged.digest)).toEqual({ size: 12 });
    const hex = staged.digest.slice('sha256:'.length);
    const [a, b] = await Promise.all(
      [source.path, target.path].map((root) => stat(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex))),
    );
    expect(b!.ino).toBe(a!.ino);
    // Again: the target holds it already, which is success.
    expect(await source.store.hardLinkInto(staged.digest, target.store)).toBe(true);
  });

  it('throws BlobNotFoundError for a blob it does not hold', async () => {
    const source = await newStore();
    const target = await newStore();
    const missing = digestOf(Buffer.from('never stored'));
    await expect(source.store.hardLinkInto(missing, target.store)).rejects.toMatchObject({
      code: 'OUTPOST_BLOB_NOT_FOUND',
    });
  });
});
