/**
 * @module Reads of a download's file shared by its readers: the file is read in aligned blocks,
 * and readers at the same place get views of the same block. Fifty clients of one cold blob then
 * cost one disk read and one buffer per block instead of fifty (a herd reads from the file once
 * the download is ahead of them). A few recent blocks are kept; a block not yet wholly on disk
 * is read for its reader alone and not kept.
 */
import type { GrowingBlob } from '../../src/store/blob-store.js';

export class SharedReads {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly file: GrowingBlob,
    private readonly size: number,
    private readonly blockBytes: number,
    private readonly maxBlocks: number,
  ) {}

  /**
   * The bytes from `position` to `end` (exclusive, at most `onDisk`), or fewer: never past the
   * end of `position`'s block. The caller may keep the buffer (it is never written again).
   */
  async read(position: number, end: number, onDisk: number): Promise<Buffer> {
    const index = Math.floor(position / this.blockBytes);
    const blockStart = index * this.blockBytes;
    const blockEnd = Math.min(blockStart + this.blockBytes, this.size);
    if (blockEnd > onDisk) {
      const length = Math.min(end, onDisk, blockEnd) - position;
      const buffer = Buffer.allocUnsafe(length);
      const bytesRead = await this.file.read(buffer, length, position);
      return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
    }
    const block = await this.block(index, blockStart, blockEnd);
    return block.subarray(position - blockStart, Math.min(end, blockEnd) - blockStart);
  }

  clear(): void {
    this.blocks.clear();
  }

  private block(index: number, start: number, end: number): Promise<Buffer> {
    const kept = this.blocks.get(index);
    if (kept) return kept;
    const reading = (async () => {
      const buffer = Buffer.allocUnsafe(end - start);
      const bytesRead = await this.file.read(buffer, buffer.length, start);
      if (bytesRead !== buffer.length) throw new Error(`the download's file ended at ${start + bytesRead} bytes`);
      return buffer;
    })();
    // A failed read is not kept: the next reader tries again (and fails on its own).
    reading.catch(() => this.blocks.delete(index));
    this.blocks.set(index, reading);
    if (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return reading;
  }
}
