/**
 * The `LocalBlobStore` contract (what the edge needs beyond `BlobStore`: open files and growing
 * blobs), for every store on a local file system: `describeLocalBlobStore('FsBlobStore', factory)`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/oci/digest.js';
import type { LocalBlobStore } from '../../src/store/blob-store.js';
import { BlobNotFoundError } from '../../src/store/errors.js';
import { chunks, listAll, readAll, rejection } from './blob-store-support.js';

export interface LocalBlobStoreFixture {
  store: LocalBlobStore;
  cleanup(): Promise<void>;
}

const CONTENT = Buffer.from('served while it is still arriving');
const DIGEST = digestOf(CONTENT);

export function describeLocalBlobStore(name: string, factory: () => Promise<LocalBlobStoreFixture>): void {
  describe(`${name} (LocalBlobStore contract)`, () => {
    let fixture: LocalBlobStoreFixture;
    let store: LocalBlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('openFile', () => {
      it('opens a stored blob with its size and modification time', async () => {
        const before = Date.now();
        await store.commit(await store.stage(chunks(CONTENT)));
        const { file, size, modifiedAt } = await store.openFile(DIGEST);
        try {
          expect(size).toBe(CONTENT.byteLength);
          expect(modifiedAt).toBeGreaterThan(before - 1000);
          expect(await file.readFile()).toEqual(CONTENT);
        } finally {
          await file.close();
        }
      });

      it('throws BlobNotFoundError for a blob that is not stored', async () => {
        expect(await rejection(store.openFile(DIGEST))).toBeInstanceOf(BlobNotFoundError);
      });
    });

    describe('createGrowing', () => {
      it('lets readers read the bytes written so far, then adopts them under their digest', async () => {
        const growing = await store.createGrowing();
        await growing.write([CONTENT.subarray(0, 10)], 0);
        const buffer = Buffer.alloc(64);
        expect(await growing.read(buffer, 64, 0)).toBe(10);
        expect(buffer.subarray(0, 10)).toEqual(CONTENT.subarray(0, 10));
        await growing.write([CONTENT.subarray(10, 20), CONTENT.subarray(20)], 10);
        expect(await growing.read(buffer, 5, 15)).toBe(5);
        expect(buffer.subarray(0, 5)).toEqual(CONTENT.subarray(15, 20));
        expect(await store.stat(DIGEST)).toBeUndefined();
        await growing.adopt(DIGEST);
        // Readers that still follow it keep their file until it is dropped.
        expect(await growing.read(buffer, 64, 0)).toBe(CONTENT.byteLength);
        await growing.drop();
        expect(await readAll((await store.open(DIGEST)).stream())).toEqual(CONTENT);
        expect(await store.removeTemporaryFiles()).toBe(0);
      });

      it('keeps nothing of a blob dropped without adopting it, and drop is idempotent', async () => {
        const growing = await store.createGrowing();
        await growing.write([CONTENT], 0);
        await growing.drop();
        await growing.drop();
        expect(await listAll(store)).toEqual([]);
        expect(await store.removeTemporaryFiles()).toBe(0);
      });

      it('leaves a temporary name that start-up removes when the writer dies before dropping', async () => {
        const growing = await store.createGrowing();
        await growing.write([CONTENT], 0);
        expect(await store.removeTemporaryFiles()).toBe(1);
        expect(await listAll(store)).toEqual([]);
        await growing.drop();
      });
    });
  });
}
