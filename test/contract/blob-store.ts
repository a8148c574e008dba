/**
 * The `BlobStore` contract (src/store/blob-store.ts) as one suite that every implementation
 * runs: `describeBlobStore('FsBlobStore', factory)`. It only uses the interface, so "nothing
 * left behind" is checked through `removeTemporaryFiles()`, `stat()` and `list()`. Uploads and
 * the trash have their own files (blob-store-uploads.ts, blob-store-trash.ts), run from here.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, parseDigest, type Digest } from '../../src/oci/digest.js';
import type { BlobStore, StagedBlob } from '../../src/store/blob-store.js';
import { BlobNotFoundError, DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';
import { chunks, failingAfter, listAll, readAll, rejection } from './blob-store-support.js';
import { describeBlobTrash } from './blob-store-trash.js';
import { describeBlobUploads } from './blob-store-uploads.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function describeBlobStore(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`${name} (BlobStore contract)`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const DIGEST = digestOf(CONTENT);

    async function put(bytes: Uint8Array = CONTENT): Promise<Digest> {
      const staged = await store.stage(chunks(bytes));
      await store.commit(staged);
      return staged.digest;
    }

    describe('stat', () => {
      it('answers undefined for a digest never committed', async () => {
        expect(await store.stat(DIGEST)).toBeUndefined();
      });

      it('answers the size of a committed blob', async () => {
        await put();
        expect(await store.stat(DIGEST)).toEqual({ size: CONTENT.byteLength });
      });
    });

    describe('open', () => {
      it('throws BlobNotFoundError for a digest never committed', async () => {
        const err = await rejection(store.open(DIGEST));
        expect(err).toBeInstanceOf(BlobNotFoundError);
        expect(err).toMatchObject({
          code: 'OUTPOST_BLOB_NOT_FOUND',
          digest: DIGEST,
          message: `blob ${DIGEST} not found`,
        });
      });

      it('knows digest and size before any byte is read', async () => {
        await put();
        const blob = await store.open(DIGEST);
        expect(blob.digest).toBe(DIGEST);
        expect(blob.size).toBe(CONTENT.byteLength);
        await blob.close();
      });

      it('streams the whole blob when no range is given', async () => {
        await put();
        const blob = await store.open(DIGEST);
        expect(await readAll(blob.stream())).toEqual(CONTENT);
      });

      it('streams an inclusive byte range', async () => {
        await put();
        const blob = await store.open(DIGEST);
        expect((await readAll(blob.stream({ start: 2, end: 5 }))).toString()).toBe('2345');
      });

      it('streams a one-byte range at the last byte', async () => {
        await put();
        const last = CONTENT.byteLength - 1;
        const blob = await store.open(DIGEST);
        expect((await readAll(blob.stream({ start: last, end: last }))).toString()).toBe('z');
      });

      it('streams a range covering every byte as the whole blob', async () => {
        await put();
        const blob = await store.open(DIGEST);
        expect(await readAll(blob.stream({ start: 0, end: CONTENT.byteLength - 1 }))).toEqual(CONTENT);
      });

      it('streams a blob larger than one read buffer intact', async () => {
        const big = Buffer.alloc(3 * 2 ** 20 + 17);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        const digest = await put(big);
        const blob = await store.open(digest);
        expect(digestOf(await readAll(blob.stream()))).toBe(digest);
        const tail = await readAll((await store.open(digest)).stream({ start: big.length - 100, end: big.length - 1 }));
        expect(tail).toEqual(big.subarray(big.length - 100));
      });

      it('can be closed without taking a stream, and the blob stays readable', async () => {
        await put();
        await (await store.open(DIGEST)).close();
        expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
      });

      it('keeps serving an opened blob that is deleted before it is read', async () => {
        await put();
        const blob = await store.open(DIGEST);
        await store.delete(DIGEST);
        expect(await store.stat(DIGEST)).toBeUndefined();
        expect(await readAll(blob.stream())).toEqual(CONTENT);
      });
    });

    describe('an empty blob', () => {
      it('is staged with the empty digest, committed, and served as zero bytes', async () => {
        const staged = await store.stage(chunks(), { size: 0, digest: parseDigest(EMPTY_SHA256) });
        expect(staged).toMatchObject({ digest: EMPTY_SHA256, size: 0 });
        await store.commit(staged);
        expect(await store.stat(staged.digest)).toEqual({ size: 0 });
        const blob = await store.open(staged.digest);
        expect(blob.size).toBe(0);
        expect(await readAll(blob.stream())).toEqual(Buffer.alloc(0));
        await blob.close();
        expect(await listAll(store)).toEqual([EMPTY_SHA256]);
      });
    });

    describe('stage', () => {
      it('hashes with sha256 when no digest is expected and reports size and digest', async () => {
        const staged = await store.stage(chunks('abc'));
        expect(staged.digest).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        expect(staged.size).toBe(3);
        await store.discard(staged);
      });

      it("hashes with the expected digest's algorithm", async () => {
        const expected = digestOf(CONTENT, 'sha512');
        const staged = await store.stage(chunks(CONTENT), { digest: expected });
        expect(staged.digest).toBe(expected);
        await store.commit(staged);
        expect(await listAll(store)).toEqual([expected]);
      });

      it('hashes content split across many chunks as one', async () => {
        const parts = [CONTENT.subarray(0, 1), CONTENT.subarray(1, 10), new Uint8Array(0), CONTENT.subarray(10)];
        const staged = await store.stage(chunks(...parts), { digest: DIGEST, size: CONTENT.byteLength });
        expect(staged).toMatchObject({ digest: DIGEST, size: CONTENT.byteLength });
        await store.discard(staged);
      });

      it('does not make staged content visible before commit', async () => {
        const staged = await store.stage(chunks(CONTENT));
        expect(await store.stat(DIGEST)).toBeUndefined();
        expect(await listAll(store)).toEqual([]);
        await store.discard(staged);
      });

      it('rejects content that hashes to another digest with DigestMismatchError and keeps nothing', async () => {
        const expected = digestOf(Buffer.from('something else'));
        const err = await rejection(store.stage(chunks(CONTENT), { digest: expected }));
        expect(err).toBeInstanceOf(DigestMismatchError);
        expect(err).toMatchObject({
          code: 'OUTPOST_DIGEST_MISMATCH',
          expected,
          actual: DIGEST,
          message: `content digest ${DIGEST} does not match expected ${expected}`,
        });
        expect(await store.removeTemporaryFiles()).toBe(0);
        expect(await store.stat(DIGEST)).toBeUndefined();
        expect(await listAll(store)).toEqual([]);
      });

      it('rejects content of another length with SizeMismatchError and keeps nothing', async () => {
        const err = await rejection(store.stage(chunks(CONTENT), { size: CONTENT.byteLength + 1, digest: DIGEST }));
        expect(err).toBeInstanceOf(SizeMismatchError);
        expect(err).toMatchObject({
          code: 'OUTPOST_SIZE_MISMATCH',
          expected: CONTENT.byteLength + 1,
          actual: CONTENT.byteLength,
          message: `content length ${CONTENT.byteLength} does not match expected ${CONTENT.byteLength + 1}`,
        });
        expect(await store.removeTemporaryFiles()).toBe(0);
        expect(await listAll(store)).toEqual([]);
      });

      it('passes on a failure of the source and keeps nothing', async () => {
        const failure = new Error('client went away');
        expect(await rejection(store.stage(failingAfter(CONTENT, failure)))).toBe(failure);
        expect(await store.removeTemporaryFiles()).toBe(0);
        expect(await listAll(store)).toEqual([]);
      });
    });

    describe('commit', () => {
      it('makes staged content visible under its digest and leaves no temporary file', async () => {
        const staged = await store.stage(chunks(CONTENT));
        await store.commit(staged);
        expect(await store.stat(DIGEST)).toEqual({ size: CONTENT.byteLength });
        expect(await store.removeTemporaryFiles()).toBe(0);
      });

      it('is idempotent: committing the same staged blob again succeeds', async () => {
        const staged = await store.stage(chunks(CONTENT));
        await store.commit(staged);
        await store.commit(staged);
        expect(await listAll(store)).toEqual([DIGEST]);
        expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
      });

      it('is idempotent: committing the same content staged twice keeps one blob', async () => {
        const first = await store.stage(chunks(CONTENT));
        const second = await store.stage(chunks(CONTENT));
        await store.commit(first);
        await store.commit(second);
        expect(await listAll(store)).toEqual([DIGEST]);
        expect(await store.removeTemporaryFiles()).toBe(0);
      });
    });

    describe('discard', () => {
      it('removes a staged blob without making it visible', async () => {
        const staged: StagedBlob = await store.stage(chunks(CONTENT));
        await store.discard(staged);
        expect(await store.removeTemporaryFiles()).toBe(0);
        expect(await store.stat(DIGEST)).toBeUndefined();
      });
    });

    describe('delete', () => {
      it('removes a committed blob', async () => {
        await put();
        await store.delete(DIGEST);
        expect(await store.stat(DIGEST)).toBeUndefined();
        expect(await rejection(store.open(DIGEST))).toBeInstanceOf(BlobNotFoundError);
        expect(await listAll(store)).toEqual([]);
      });

      it('ignores a digest that is not stored', async () => {
        await expect(store.delete(DIGEST)).resolves.toBeUndefined();
      });

      it('lets the same content be committed again afterwards', async () => {
        await put();
        await store.delete(DIGEST);
        await put();
        expect(await store.stat(DIGEST)).toEqual({ size: CONTENT.byteLength });
      });
    });

    describe('list', () => {
      it('yields nothing for an empty store', async () => {
        expect(await listAll(store)).toEqual([]);
      });

      it('yields every committed digest exactly once, whatever the algorithm', async () => {
        const a = await put(Buffer.from('a'));
        const b = await put(Buffer.from('b'));
        const staged = await store.stage(chunks('c'), { digest: digestOf(Buffer.from('c'), 'sha512') });
        await store.commit(staged);
        await put(Buffer.from('a'));
        expect(await listAll(store)).toEqual([a, b, staged.digest].sort());
      });

      it('omits deleted and merely staged blobs', async () => {
        const kept = await put(Buffer.from('kept'));
        await store.delete(await put(Buffer.from('deleted')));
        const staged = await store.stage(chunks('staged'));
        expect(await listAll(store)).toEqual([kept]);
        await store.discard(staged);
      });
    });

    describe('removeTemporaryFiles', () => {
      it('answers 0 when no write was interrupted', async () => {
        await put();
        expect(await store.removeTemporaryFiles()).toBe(0);
      });

      it('with olderThan, leaves leftovers changed since (another process may be writing them)', async () => {
        await put();
        const staged = await store.stage(chunks('in progress elsewhere'));
        await store.trash(DIGEST);
        expect(await store.removeTemporaryFiles(Date.now() - 60_000)).toBe(0);
        await store.commit(staged);
        expect(await store.stat(staged.digest)).toEqual({ size: 'in progress elsewhere'.length });
        expect(await store.removeTemporaryFiles(Date.now() + 60_000)).toBe(1);
        expect(await store.removeTemporaryFiles()).toBe(0);
      });

      it('removes and counts staged blobs never committed or discarded, leaving committed ones', async () => {
        await put();
        await store.stage(chunks('left behind 1'));
        await store.stage(chunks('left behind 2'));
        expect(await store.removeTemporaryFiles()).toBe(2);
        expect(await store.removeTemporaryFiles()).toBe(0);
        expect(await listAll(store)).toEqual([DIGEST]);
        expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
      });
    });

    describe('staged blobs are opaque handles', () => {
      it('carry digest and size only, and commit refuses a handle the store did not make', async () => {
        const staged = await store.stage(chunks(CONTENT));
        expect(Object.keys(staged).sort()).toEqual(['digest', 'size']);
        const forged = { digest: staged.digest, size: staged.size };
        expect(await rejection(store.commit(forged))).toBeInstanceOf(TypeError);
        expect(await store.stat(DIGEST)).toBeUndefined();
        await store.commit(staged);
        expect(await store.stat(DIGEST)).toEqual({ size: CONTENT.byteLength });
      });
    });

    describeBlobUploads(() => store);
    describeBlobTrash(() => store);
  });
}
