/**
 * @module Durable file operations: write a stream while hashing, fsync, link into place.
 *
 * "Visible means verified": content is written to a temporary file, fsynced, and only then
 * linked under its final name; the directory is fsynced so the name survives a power cut.
 */
import { open, link, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createDigestHasher, type DigestAlgorithm, type DigestHasher, type Digest } from '../oci/digest.js';

export interface WrittenFile {
  size: number;
  digest: Digest;
}

/**
 * Appends every chunk of `source` to `handle` at `position`, feeding `hasher`, with bounded
 * memory (one chunk at a time, each write awaited).
 */
export async function writeChunks(
  handle: FileHandle,
  source: AsyncIterable<Uint8Array>,
  position: number,
  hasher?: DigestHasher,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<number> {
  let written = 0;
  for await (const chunk of source) {
    hasher?.update(chunk);
    onChunk?.(chunk);
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset, position + written + offset);
      offset += bytesWritten;
    }
    written += chunk.byteLength;
  }
  return written;
}

/** Streams `source` into a new file at `path`, hashing as it goes; fsyncs before returning. */
export async function writeFileHashed(path: string, source: AsyncIterable<Uint8Array>, algorithm: DigestAlgorithm = 'sha256'): Promise<WrittenFile> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'wx', 0o644);
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
  await mkdir(dirname(target), { recursive: true });
  try {
    await link(source, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await fsyncDir(dirname(target));
}
