/**
 * The `BlobStore.uploads` contract (resumable uploads, src/store/blob-store.ts), run by
 * `describeBlobStore` for every implementation. The caller's record is simulated as main keeps
 * it: the size and state of the last append that resolved, and nothing of one that failed.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/oci/digest.js';
import type { BlobStore, UploadState } from '../../src/store/blob-store.js';
import { DigestMismatchError, SizeMismatchError } from '../../src/store/errors.js';
import { chunks, collect, failingAfter, listAll, readAll, rejection } from './blob-store-support.js';

const PART_1 = Buffer.from('first chunk, ');
const PART_2 = Buffer.from('second chunk, ');
const PART_3 = Buffer.from('and the last one');
const WHOLE = Buffer.concat([PART_1, PART_2, PART_3]);
const WHOLE_DIGEST = digestOf(WHOLE);

/** What main keeps of a session: the durable size and the latest state. */
interface Session {
  id: string;
  size: number;
  state: UploadState;
}

export function describeBlobUploads(current: () => BlobStore): void {
  describe('uploads', () => {
    async function begin(): Promise<Session> {
      const id = randomUUID();
      return { id, size: 0, state: await current().uploads.begin(id) };
    }

    /** Appends like main: the record moves only when the append resolved. */
    async function append(record: Session, ...parts: Uint8Array[]): Promise<Session> {
      const result = await current().uploads.append(record.id, record.state, record.size, chunks(...parts));
      return { id: record.id, size: result.size, state: result.state };
    }

    const complete = (record: Session, digest = WHOLE_DIGEST) =>
      current().uploads.complete(record.id, record.state, { digest, size: record.size });

    it('assembles chunks appended in order into one verified blob, visible only after commit', async () => {
      const store = current();
      let record = await begin();
      record = await append(record, PART_1);
      expect(record.size).toBe(PART_1.byteLength);
      record = await append(record, PART_2, PART_3);
      expect(record.size).toBe(WHOLE.byteLength);
      const staged = await complete(record);
      expect(staged).toMatchObject({ digest: WHOLE_DIGEST, size: WHOLE.byteLength });
      expect(await store.stat(WHOLE_DIGEST)).toBeUndefined();
      await store.commit(staged);
      expect(await readAll((await store.open(WHOLE_DIGEST)).stream())).toEqual(WHOLE);
      await store.uploads.abort(record.id, record.state);
      expect(await collect(store.uploads.list())).toEqual([]);
      expect(await store.removeTemporaryFiles()).toBe(0);
    });

    it('completes an upload with no bytes as the empty blob', async () => {
      const record = await begin();
      const staged = await complete(record, digestOf(new Uint8Array(0)));
      await current().commit(staged);
      expect(await current().stat(staged.digest)).toEqual({ size: 0 });
    });

    it('verifies with the algorithm of the expected digest (sha512)', async () => {
      const record = await append(await begin(), WHOLE);
      const staged = await complete(record, digestOf(WHOLE, 'sha512'));
      await current().commit(staged);
      expect(await listAll(current())).toEqual([digestOf(WHOLE, 'sha512')]);
    });

    it('refuses content that hashes to another digest with DigestMismatchError, and shows nothing', async () => {
      const record = await append(await begin(), PART_1, PART_2);
      const err = await rejection(complete(record, WHOLE_DIGEST));
      expect(err).toBeInstanceOf(DigestMismatchError);
      expect(err).toMatchObject({ expected: WHOLE_DIGEST, actual: digestOf(Buffer.concat([PART_1, PART_2])) });
      expect(await listAll(current())).toEqual([]);
      await current().uploads.abort(record.id, record.state);
      expect(await collect(current().uploads.list())).toEqual([]);
    });

    it('keeps the durable bytes when a chunk fails midway, and the next chunk continues from them', async () => {
      let record = await append(await begin(), PART_1);
      const failure = new Error('client went away');
      const err = await rejection(
        current().uploads.append(record.id, record.state, record.size, failingAfter(PART_2, failure)),
      );
      expect(err).toBe(failure);
      record = await append(record, PART_2, PART_3);
      expect(record.size).toBe(WHOLE.byteLength);
      const staged = await complete(record);
      await current().commit(staged);
      expect(await readAll((await current().open(WHOLE_DIGEST)).stream())).toEqual(WHOLE);
    });

    it('replaces the bytes of a chunk whose result was never recorded (a crash before the record)', async () => {
      let record = await append(await begin(), PART_1);
      // Appended, but the caller died before storing the new size: the record still says PART_1.
      await current().uploads.append(record.id, record.state, record.size, chunks('lost bytes'));
      record = await append(record, PART_2, PART_3);
      await current().commit(await complete(record));
      expect(await readAll((await current().open(WHOLE_DIGEST)).stream())).toEqual(WHOLE);
    });

    it('ignores bytes past the recorded size at completion', async () => {
      const record = await append(await begin(), WHOLE);
      await current().uploads.append(record.id, record.state, record.size, chunks('torn tail'));
      const staged = await complete(record);
      expect(staged.size).toBe(WHOLE.byteLength);
      await current().commit(staged);
      expect(await readAll((await current().open(WHOLE_DIGEST)).stream())).toEqual(WHOLE);
    });

    it('refuses a chunk shorter or longer than announced with SizeMismatchError, keeping the offset', async () => {
      let record = await append(await begin(), PART_1);
      const { id, state, size } = record;
      const short = await rejection(current().uploads.append(id, state, size, chunks(PART_2), { length: 100 }));
      expect(short).toBeInstanceOf(SizeMismatchError);
      expect(short).toMatchObject({ expected: 100, actual: PART_2.byteLength });
      const long = await rejection(current().uploads.append(id, state, size, chunks(PART_2), { length: 2 }));
      expect(long).toMatchObject({ code: 'OUTPOST_SIZE_MISMATCH', expected: 2 });
      const exact = await current().uploads.append(id, state, size, chunks(PART_2, PART_3), {
        length: PART_2.byteLength + PART_3.byteLength,
      });
      record = { id, size: exact.size, state: exact.state };
      await current().commit(await complete(record));
      expect(await current().stat(WHOLE_DIGEST)).toEqual({ size: WHOLE.byteLength });
    });

    it('refuses to begin a session whose id is not a UUID, or twice with the same id', async () => {
      expect(await rejection(current().uploads.begin('../../blobs'))).toBeInstanceOf(Error);
      const record = await begin();
      expect(await rejection(current().uploads.begin(record.id))).toBeInstanceOf(Error);
      expect((await collect(current().uploads.list())).map((s) => s.id)).toEqual([record.id]);
    });

    it('lists sessions with bytes in the store with when they last changed, and abort removes them', async () => {
      const before = Date.now();
      const a = await begin();
      const b = await append(await begin(), PART_1);
      const listed = await collect(current().uploads.list());
      expect(listed.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      for (const session of listed) {
        // File systems keep coarse times: a second of slack either way.
        expect(session.modifiedAt).toBeGreaterThan(before - 1000);
        expect(session.modifiedAt).toBeLessThan(Date.now() + 1000);
      }
      await current().uploads.abort(a.id, a.state);
      // An orphan found by list(): no state known.
      await current().uploads.abort(b.id);
      expect(await collect(current().uploads.list())).toEqual([]);
      // Absent sessions are ignored.
      await expect(current().uploads.abort(a.id, a.state)).resolves.toBeUndefined();
    });

    it('does not count sessions as temporary files: removeTemporaryFiles leaves them', async () => {
      const record = await append(await begin(), PART_1);
      expect(await current().removeTemporaryFiles()).toBe(0);
      const resumed = await append(record, PART_2, PART_3);
      await current().commit(await complete(resumed));
      expect(await current().stat(WHOLE_DIGEST)).toEqual({ size: WHOLE.byteLength });
    });
  });
}
