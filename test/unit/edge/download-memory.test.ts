/**
 * What a download keeps in memory for its readers (edge/cache/download.ts, byte-window.ts):
 * readers behind its last bytes are sent from memory within the download's share, and read the
 * file only past it; every reader of a herd gets views of the same memory; and holding bytes
 * longer never lets a reader have the last byte of wrong content.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/oci/digest.js';
import type { GrowingBlob, LocalBlobStore } from '../../../src/store/blob-store.js';
import { DigestMismatchError } from '../../../src/store/errors.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { Download, RECENT_BYTES } from '../../../edge/cache/download.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const MiB = 1 << 20;

let temp: TempDir;
beforeEach(async () => {
  temp = await createTempDir('outpost-download-memory-');
});
afterEach(async () => {
  await temp.remove();
});

/**
 * A download of `bytes` into a real store whose growing file counts the reads readers make of
 * it (`fileReads`): bytes a reader gets from memory are never read back. Its writes wait for
 * `diskGate` when one is given (a disk that lags behind the network).
 */
async function newDownload(bytes: Buffer, holdBytes: number, diskGate?: Promise<void>) {
  const store = await FsBlobStore.create(temp.path);
  const counted = { fileReads: 0, writesEnded: 0, writesEndedAtDrop: -1 };
  const counting = {
    createGrowing: async (): Promise<GrowingBlob> => {
      const file = await store.createGrowing();
      return {
        ...file,
        read: (buffer, length, position) => {
          counted.fileReads++;
          return file.read(buffer, length, position);
        },
        write: async (chunks, position) => {
          await diskGate;
          await file.write(chunks, position);
          counted.writesEnded++;
        },
        drop: async () => {
          counted.writesEndedAtDrop = counted.writesEnded;
          await file.drop();
        },
      };
    },
  } as Pick<LocalBlobStore, 'createGrowing'> as LocalBlobStore;
  const download = await Download.create(digestOf(bytes), bytes.byteLength, counting, () => holdBytes);
  return { download, counted, store };
}

/** Runs `download` over `bytes` in 64 KiB socket-sized chunks, to the end. */
function runAll(download: Download, bytes: Buffer): Promise<void> {
  return download.run(
    (async function* () {
      for (let at = 0; at < bytes.byteLength; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
    })(),
    async () => {},
  );
}

/** Every chunk a stream delivers, to its end or its error. */
async function chunksOf(stream: Readable): Promise<{ chunks: Buffer[]; error?: Error }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { chunks };
  } catch (error) {
    return { chunks, error: error as Error };
  }
}

describe('Download: bytes held for readers that fall behind', () => {
  it('sends a reader far behind the last bytes from memory while it is within the share', async () => {
    const bytes = randomBytes(RECENT_BYTES + 8 * MiB);
    const { download, counted } = await newDownload(bytes, 64 * MiB);
    // Nobody reads this one until the whole blob is in and verified: it is 12 MiB behind.
    const reader = download.createReader();
    await runAll(download, bytes);
    const { chunks, error } = await chunksOf(reader);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(counted.fileReads).toBe(0);
  });

  it('reads the file back for the bytes past the share, and still sends every byte right', async () => {
    const bytes = randomBytes(RECENT_BYTES + 8 * MiB);
    const { download, counted } = await newDownload(bytes, 0);
    const reader = download.createReader();
    await runAll(download, bytes);
    const { chunks, error } = await chunksOf(reader);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Only the last RECENT_BYTES stayed in memory: the 8 MiB before them came from the file.
    expect(counted.fileReads).toBeGreaterThan(0);
  });

  it('hands every reader of a herd views of the same memory, not copies', async () => {
    const bytes = randomBytes(6 * MiB);
    const { download, counted } = await newDownload(bytes, 64 * MiB);
    const readers = Array.from({ length: 5 }, () => download.createReader());
    await runAll(download, bytes);
    const results = await Promise.all(readers.map(chunksOf));
    for (const { chunks, error } of results) {
      expect(error).toBeUndefined();
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    }
    const memoryOf = (chunks: Buffer[]) => new Set(chunks.map((c) => c.buffer));
    const first = memoryOf(results[0]!.chunks);
    for (const { chunks } of results.slice(1)) expect(memoryOf(chunks)).toEqual(first);
    expect(counted.fileReads).toBe(0);
  });

  it('never gives a reader held in memory the last byte of a body whose digest does not match', async () => {
    const bytes = randomBytes(RECENT_BYTES + 2 * MiB);
    const wrong = Buffer.from(bytes);
    wrong[wrong.length - 10]! ^= 0xff;
    const { download } = await newDownload(bytes, 64 * MiB);
    const reader = download.createReader();
    await runAll(download, wrong);
    expect(download.state).toBe('failed');
    expect(download.error).toBeInstanceOf(DigestMismatchError);
    const { chunks, error } = await chunksOf(reader);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(Buffer.concat(chunks).byteLength).toBeLessThan(bytes.byteLength);
  });
});

describe('Download: the last byte is released at verification, before the disk has the bytes', () => {
  it('ends every reader while its writes still wait for the disk, and commits only after them', async () => {
    const bytes = randomBytes(3 * MiB);
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { download, counted, store } = await newDownload(bytes, 64 * MiB, gate);
    const reader = download.createReader();
    let writesAtCommit = -1;
    const running = download.run(
      (async function* () {
        for (let at = 0; at < bytes.byteLength; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
      })(),
      async (d) => {
        writesAtCommit = counted.writesEnded;
        await d.adopt();
      },
    );
    expect(await download.whenVerified()).toBe(true);
    const { chunks, error } = await chunksOf(reader);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // The reader has every byte, and not one write has reached the disk yet.
    expect(counted.writesEnded).toBe(0);
    expect(download.committing).toBe(true);
    await sleep(20);
    expect(writesAtCommit).toBe(-1);
    openGate();
    await running;
    expect(writesAtCommit).toBe(counted.writesEnded);
    expect(writesAtCommit).toBeGreaterThan(0);
    expect(download.kept).toBe(true);
    const { file } = await store.openFile(download.digest);
    expect((await file.readFile()).equals(bytes)).toBe(true);
    await file.close();
  });
});

describe('Download: an upstream that fails while a disk write runs', () => {
  it('ends its readers with the error at once, and drops the file only after the write, not as a disk fault', async () => {
    const bytes = randomBytes(3 * MiB);
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { download, counted } = await newDownload(bytes, 64 * MiB, gate);
    const reader = download.createReader();
    const reset = new Error('upstream reset');
    const running = download.run(
      (async function* () {
        for (let at = 0; at < MiB; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
        throw reset;
      })(),
      async () => {},
    );
    expect(await download.whenVerified()).toBe(false);
    // The reader goes with the error while the disk still holds the write back.
    expect((await chunksOf(reader)).error).toBe(reset);
    await sleep(20);
    expect(counted.writesEndedAtDrop).toBe(-1);
    openGate();
    await running;
    expect(download.state).toBe('failed');
    expect(counted.writesEndedAtDrop).toBe(counted.writesEnded);
    expect(counted.writesEnded).toBeGreaterThan(0);
    expect(download.degraded).toBeUndefined();
  });
});

describe('Download: readers that keep up', () => {
  it('get the chunks that arrived together as one piece, not one per socket chunk', async () => {
    const bytes = randomBytes(256 * 1024);
    const { download } = await newDownload(bytes, 64 * MiB);
    const received: Buffer[] = [];
    const reader = download.createReader();
    reader.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => reader.once('end', resolve));
    // The reader is flowing and waiting for bytes before any arrive.
    await sleep(20);
    let release!: () => void;
    const rest = new Promise<void>((resolve) => (release = resolve));
    const running = download.run(
      (async function* () {
        // Four socket chunks at once (as one read of the socket gives them), then a pause.
        for (let at = 0; at < 128 * 1024; at += 32 * 1024) yield bytes.subarray(at, at + 32 * 1024);
        await rest;
        yield bytes.subarray(128 * 1024);
      })(),
      async () => {},
    );
    await sleep(50);
    expect(received.map((c) => c.byteLength)).toEqual([128 * 1024]);
    release();
    await running;
    await ended;
    expect(Buffer.concat(received).equals(bytes)).toBe(true);
  });
});
