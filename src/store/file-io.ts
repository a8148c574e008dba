/**
 * @module Durable file operations: write a stream while hashing, fsync, link into place.
 *
 * "Visible means verified": content is written to a temporary file, fsynced, and only then
 * linked under its final name; the directory is fsynced so the name survives a power cut.
 */
import { open, link, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './private-files.js';
import { createDigestHasher, type DigestAlgorithm, type DigestHasher, type Digest } from '../oci/digest.js';

export interface WrittenFile {
  size: number;
  digest: Digest;
}

// Socket chunks are ~64 KiB; writing them in batches of this size cuts syscalls 16-fold.
const WRITE_BATCH_BYTES = 1 << 20;

/** Writes all of `chunks` at `position`, however the kernel splits the write. */
export async function writeAll(handle: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let pending = chunks;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const chunk of pending) {
      if (skip >= chunk.byteLength) skip -= chunk.byteLength;
      else {
        rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/**
 * Appends every chunk of `source` to `handle` at `position`, feeding `hasher`. Chunks are
 * written in batches, one batch in flight while the next is received and hashed, so network
 * and disk overlap; memory stays at about two batches. `onWritten` reports the bytes on disk
 * (relative to `position`) after each batch.
 */
export async function writeChunks(
  handle: FileHandle,
  source: AsyncIterable<Uint8Array>,
  position: number,
  hasher?: DigestHasher,
  onWritten?: (bytesOnDisk: number) => void,
): Promise<number> {
  let received = 0;
  let flushed = 0;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const chunks = batch;
    const at = flushed;
    const size = batchBytes;
    batch = [];
    batchBytes = 0;
    await inFlight;
    inFlight = writeAll(handle, chunks, position + at).then(() => onWritten?.(at + size));
    flushed += size;
  };
  try {
    for await (const chunk of source) {
      hasher?.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      received += chunk.byteLength;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    if (batchBytes > 0) await flush();
  } finally {
    // Never leave a write running behind the caller's back, even when the source failed.
    await inFlight.catch(() => {});
  }
  await inFlight;
  return received;
}

/** Streams `source` into a new file at `path`, hashing as it goes; fsyncs before returning. */
export async function writeFileHashed(
  path: string,
  source: AsyncIterable<Uint8Array>,
  algorithm: DigestAlgorithm = 'sha256',
): Promise<WrittenFile> {
  await mkdirPrivate(dirname(path));
  const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  const hasher = createDigestHasher(algorithm);
  try {
    const size = await writeChunks(handle, source, 0, hasher);
    await handle.sync();
    return { size, digest: hasher.digest() };
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(path, { force: true });
    throw err;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Hashes a file already on disk (used when an upload's in-memory hash state was lost). */
export async function hashFile(path: string, algorithm: DigestAlgorithm): Promise<WrittenFile> {
  const handle = await open(path, 'r');
  try {
    const hasher = createDigestHasher(algorithm);
    let size = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
      hasher.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    return { size, digest: hasher.digest() };
  } finally {
    await handle.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Gives `source` the name `target` without replacing an existing file (content-addressed, so
 * an existing file already holds the same bytes), then fsyncs the directory.
 */
export async function linkIntoPlace(source: string, target: string): Promise<void> {
  await mkdirPrivate(dirname(target));
  try {
    await link(source, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await fsyncDir(dirname(target));
}
