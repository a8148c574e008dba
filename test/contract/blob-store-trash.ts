/**
 * The trash of `BlobStore` (garbage collection and start-up repair, src/store/blob-store.ts), run
 * by `describeBlobStore` for every implementation.
 */
import { describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { BlobNotFoundError } from '../../src/store/errors.js';
import { chunks, collect, listAll, readAll, rejection } from './blob-store-support.js';

const CONTENT = Buffer.from('bytes the collector considers');
const DIGEST = digestOf(CONTENT);

export function describeBlobTrash(current: () => BlobStore): void {
  describe('trash', () => {
    async function put(bytes: Uint8Array = CONTENT): Promise<Digest> {
      const staged = await current().stage(chunks(bytes));
      await current().commit(staged);
      return staged.digest;
    }

    it('moves a stored blob out of sight: stat, open and list no longer find it', async () => {
      const store = current();
      await put();
      const trashed = await store.trash(DIGEST);
      expect(trashed).toMatchObject({ digest: DIGEST });
      expect(await store.stat(DIGEST)).toBeUndefined();
      expect(await rejection(store.open(DIGEST))).toBeInstanceOf(BlobNotFoundError);
      expect(await listAll(store)).toEqual([]);
      expect((await collect(store.listTrash())).map((t) => t.digest)).toEqual([DIGEST]);
    });

    it('answers undefined for a blob that is not stored, and trashes nothing', async () => {
      expect(await current().trash(DIGEST)).toBeUndefined();
      expect(await collect(current().listTrash())).toEqual([]);
    });

    it('keeps serving a blob opened before it was trashed', async () => {
      await put();
      const blob = await current().open(DIGEST);
      await current().trash(DIGEST);
      expect(await readAll(blob.stream())).toEqual(CONTENT);
    });

    it('restores a trashed blob under its digest, idempotently', async () => {
      const store = current();
      await put();
      const trashed = (await store.trash(DIGEST))!;
      await store.restore(trashed);
      await store.restore(trashed);
      expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
      expect(await listAll(store)).toEqual([DIGEST]);
      await store.purgeTrashed(trashed);
      expect(await collect(store.listTrash())).toEqual([]);
      expect(await store.stat(DIGEST)).toEqual({ size: CONTENT.byteLength });
    });

    it('restores harmlessly when the same content was stored again meanwhile', async () => {
      const store = current();
      await put();
      const trashed = (await store.trash(DIGEST))!;
      await put();
      await store.restore(trashed);
      await store.purgeTrashed(trashed);
      expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
    });

    it('purges a trashed blob for good, and ignores one purged already', async () => {
      const store = current();
      await put();
      const trashed = (await store.trash(DIGEST))!;
      await store.purgeTrashed(trashed);
      await store.purgeTrashed(trashed);
      expect(await collect(store.listTrash())).toEqual([]);
      expect(await store.stat(DIGEST)).toBeUndefined();
    });

    it('lists trashed blobs as handles restore accepts (repair after a crash), whatever the algorithm', async () => {
      const store = current();
      const sha512 = await store.stage(chunks(CONTENT), { digest: digestOf(CONTENT, 'sha512') });
      await store.commit(sha512);
      await put();
      await store.trash(DIGEST);
      await store.trash(sha512.digest);
      const listed = await collect(store.listTrash());
      expect(listed.map((t) => t.digest).sort()).toEqual([DIGEST, sha512.digest].sort());
      for (const trashed of listed) await store.restore(trashed);
      expect(await listAll(store)).toEqual([DIGEST, sha512.digest].sort());
    });

    it('is emptied by removeTemporaryFiles (what start-up does after repair)', async () => {
      const store = current();
      await put();
      await store.trash(DIGEST);
      expect(await store.removeTemporaryFiles()).toBe(1);
      expect(await collect(store.listTrash())).toEqual([]);
      expect(await store.stat(DIGEST)).toBeUndefined();
    });
  });
}
