/**
 * @module The files of a backup other than blobs (the LMDB copy, signing keys): copied with their
 * sha256 computed on the way, written under a temporary name, fsynced, then renamed, mode 0600.
 * Blobs go through the `BlobStore` instead (main/backup/blob-copy.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface CopiedFile {
  size: number;
  sha256: string;
}

const CHUNK_BYTES = 1 << 20;

/** Copies `from` to `to` (0600; parents created 0700), and returns the size and sha256 of what it copied. */
export async function copyFileHashed(from: string, to: string): Promise<CopiedFile> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  const temp = `${to}.tmp-${process.pid}`;
  const source = await open(from, 'r');
  try {
    const target = await open(temp, 'w', 0o600);
    try {
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let size = 0;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, CHUNK_BYTES, size);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await target.write(chunk, 0, bytesRead, size);
        size += bytesRead;
      }
      await target.sync();
      await target.close();
      await rename(temp, to);
      await fsyncDirectory(dirname(to));
      return { size, sha256: hash.digest('hex') };
    } catch (err) {
      await target.close().catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
  } finally {
    await source.close();
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The size and sha256 of a file on disk. */
export async function hashFile(path: string): Promise<CopiedFile> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK_BYTES, autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
