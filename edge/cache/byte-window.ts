/**
 * @module A contiguous run of a blob's bytes held in memory, `[start, end)`: appended at the
 * end, dropped from the start. A download keeps its recent bytes here, so that readers who keep
 * up are handed them without reading the file back, and writes them to disk from here.
 *
 * The bytes are copied once, as they arrive, into slabs (fixed-size buffers, filled in order and
 * never written again where they hold bytes). Readers are handed views of the slabs, never
 * copies: fifty readers of one download cost one copy of each byte, not fifty, and the socket
 * chunks of the upstream die young instead of being held (and aged by the GC) for seconds.
 * Knows nothing of readers or files; download.ts decides what to drop and when.
 */

/** Slab size: large enough for few writes and views, small enough to drop memory in steps. */
export const SLAB_BYTES = 1 << 20;

export class ByteWindow {
  /** Position of the first byte held. */
  start = 0;
  /** Position after the last byte held (bytes received so far). */
  end = 0;
  /** Position of the first byte of `slabs[0]`. */
  private base = 0;
  private slabs: Buffer[] = [];

  constructor(private readonly slabBytes = SLAB_BYTES) {}

  get bytes(): number {
    return this.end - this.start;
  }

  /** Whether byte `position` is held. */
  holds(position: number): boolean {
    return position >= this.start && position < this.end;
  }

  /** Copies `chunk` in after the last byte (the caller may reuse `chunk` at once). */
  append(chunk: Uint8Array): void {
    let copied = 0;
    while (copied < chunk.byteLength) {
      const filled = this.end - this.base - (this.slabs.length - 1) * this.slabBytes;
      let slab = this.slabs[this.slabs.length - 1];
      let at = filled;
      if (slab === undefined || filled >= this.slabBytes) {
        slab = Buffer.allocUnsafeSlow(this.slabBytes);
        if (this.slabs.length === 0) this.base = this.end;
        this.slabs.push(slab);
        at = 0;
      }
      const n = Math.min(this.slabBytes - at, chunk.byteLength - copied);
      slab.set(chunk.subarray(copied, copied + n), at);
      copied += n;
      this.end += n;
    }
  }

  /**
   * Drops the slabs that end at or before `position` (a slab that holds it stays whole, and so
   * may bytes before it: `start` tells what is held).
   */
  dropBefore(position: number): void {
    while (this.slabs.length > 0 && this.base + this.slabBytes <= Math.min(position, this.end)) {
      this.slabs.shift();
      this.base += this.slabBytes;
      this.start = Math.max(this.start, this.base);
    }
    if (this.slabs.length === 0) this.start = this.base = this.end;
  }

  /** Drops everything; the window is empty from `end` on. */
  clear(): void {
    this.slabs = [];
    this.start = this.base = this.end;
  }

  /**
   * Up to `length` bytes from `position` (which must be held), never past the end of the slab
   * that holds it: a view, which the caller may keep (those bytes are never written again).
   */
  read(position: number, length: number): Buffer {
    const index = Math.floor((position - this.base) / this.slabBytes);
    const from = position - this.base - index * this.slabBytes;
    const want = Math.min(length, this.end - position, this.slabBytes - from);
    return this.slabs[index]!.subarray(from, from + want);
  }

  /** Views of every byte from `position` (held) to `end`, one per slab, for a write. */
  views(position: number, end = this.end): Buffer[] {
    const out: Buffer[] = [];
    for (let at = position; at < end; ) {
      const view = this.read(at, end - at);
      out.push(view);
      at += view.byteLength;
    }
    return out;
  }
}
