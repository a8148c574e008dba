/**
 * @module A contiguous run of a blob's bytes held in memory, `[start, end)`, as the chunks that
 * arrived: appended at the end, dropped from the start. A download keeps its most recent bytes
 * here, so that readers who keep up are handed them without reading the file back. Knows
 * nothing of readers or files; download.ts decides what to drop and when.
 */
export class ByteWindow {
  /** Position of the first byte held. */
  start = 0;
  /** Position after the last byte held (bytes received so far). */
  end = 0;
  private chunks: Buffer[] = [];

  get bytes(): number {
    return this.end - this.start;
  }

  /** Whether byte `position` is held. */
  holds(position: number): boolean {
    return position >= this.start && position < this.end;
  }

  append(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.end += chunk.byteLength;
  }

  /** Drops the chunks that end at or before `position` (a chunk that holds it stays whole). */
  dropBefore(position: number): void {
    while (this.chunks.length > 0 && this.start + this.chunks[0]!.byteLength <= position) {
      this.start += this.chunks.shift()!.byteLength;
    }
  }

  /** Drops everything; the window is empty from `end` on. */
  clear(): void {
    this.chunks = [];
    this.start = this.end;
  }

  /**
   * Up to `length` bytes from `position` (which must be held): a view of the chunk when one
   * chunk holds them all, else a copy of the chunks (the caller may keep either).
   */
  read(position: number, length: number): Buffer {
    const want = Math.min(length, this.end - position);
    let offset = this.start;
    let index = 0;
    while (offset + this.chunks[index]!.byteLength <= position) offset += this.chunks[index++]!.byteLength;
    const first = this.chunks[index]!;
    const from = position - offset;
    if (first.byteLength - from >= want) return first.subarray(from, from + want);
    const out = Buffer.allocUnsafe(want);
    let copied = first.copy(out, 0, from);
    for (let i = index + 1; copied < want; i++) {
      const chunk = this.chunks[i]!;
      copied += chunk.copy(out, copied, 0, Math.min(chunk.byteLength, want - copied));
    }
    return out;
  }
}
