import { describe, expect, it } from 'vitest';
import { ByteWindow } from '../../../edge/cache/byte-window.js';

/** A window holding `chunks` appended in order from position 0. */
function windowOf(...chunks: string[]): ByteWindow {
  const window = new ByteWindow();
  for (const chunk of chunks) window.append(Buffer.from(chunk));
  return window;
}

describe('ByteWindow', () => {
  it('holds the bytes appended, from start to end', () => {
    const window = windowOf('abc', '', 'defg');
    expect([window.start, window.end, window.bytes]).toEqual([0, 7, 7]);
    expect([window.holds(0), window.holds(6), window.holds(7)]).toEqual([true, true, false]);
  });

  it('reads inside one chunk as a view of it, without copying', () => {
    const chunk = Buffer.from('defg');
    const window = windowOf('abc');
    window.append(chunk);
    const read = window.read(4, 2);
    expect(read.toString()).toBe('ef');
    expect(read.buffer).toBe(chunk.buffer);
  });

  it('reads across chunks as one copy, at most `length` bytes and never past the end', () => {
    const window = windowOf('abc', 'def', 'ghi');
    expect(window.read(1, 6).toString()).toBe('bcdefg');
    expect(window.read(7, 100).toString()).toBe('hi');
  });

  it('drops only whole chunks that end before a position, and nothing after a clear', () => {
    const window = windowOf('abc', 'def', 'ghi');
    window.dropBefore(5);
    expect([window.start, window.holds(2), window.holds(3)]).toEqual([3, false, true]);
    expect(window.read(3, 3).toString()).toBe('def');
    window.clear();
    expect([window.start, window.end, window.bytes, window.holds(8)]).toEqual([9, 9, 0, false]);
  });
});
