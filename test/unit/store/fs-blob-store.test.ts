import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { digestOf } from '../../../src/oci/digest.js';
import { describeBlobStore } from '../../contract/blob-store.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

describeBlobStore('FsBlobStore', async () => {
  const dir = await createTempDir();
  return { store: await FsBlobStore.create(dir.path), cleanup: dir.remove };
});

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
    expect(staged.path.startsWith(join(dir.path, 'tmp'))).toBe(true);
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
    expect(store.paths.blob(digest)).toBe(join(dir.path, 'blobs', 'sha256', hex.slice(0, 2), hex));
  });

  it('list() skips files whose names are not digests', async () => {
    const digest = digestOf(Buffer.from('real'));
    await store.commit(await store.stage(once(Buffer.from('real'))));
    const prefixDir = join(dir.path, 'blobs', 'sha256', digest.slice(7, 9));
    await writeFile(join(prefixDir, 'not-a-digest'), 'x');
    await writeFile(join(prefixDir, `${digest.slice(7)}.partial`), 'x');
    await mkdir(join(dir.path, 'blobs', 'md5', 'ab'), { recursive: true });
    await writeFile(join(dir.path, 'blobs', 'md5', 'ab', 'ab'.repeat(16)), 'x');
    const listed: string[] = [];
    for await (const d of store.list()) listed.push(d);
    expect(listed).toEqual([digest]);
  });

  it('removeTemporaryFiles() also empties trash/ left by an interrupted garbage collection', async () => {
    await writeFile(join(dir.path, 'trash', 'abc.1'), 'x');
    await mkdir(join(dir.path, 'tmp', 'a-directory'));
    expect(await store.removeTemporaryFiles()).toBe(2);
    expect(await readdir(join(dir.path, 'trash'))).toEqual([]);
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
  });

  it('removeTemporaryFiles() leaves upload sessions alone (their state lives in LMDB)', async () => {
    const session = join(dir.path, 'uploads', '00000000-0000-4000-8000-000000000000');
    await writeFile(session, 'partial upload');
    expect(await store.removeTemporaryFiles()).toBe(0);
    expect(await readdir(join(dir.path, 'uploads'))).toEqual(['00000000-0000-4000-8000-000000000000']);
  });
});
