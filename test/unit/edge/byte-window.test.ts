import { describe, expect, it } from 'vitest';
import { ByteWindow } from '../../../edge/cache/byte-window.js';

/** A window of 4-byte slabs holding `chunks` appended in order from position 0. */
function windowOf(...chunks: string[]): ByteWindow {
  const window = new ByteWindow(4);
  for (const chunk of chunks) window.append(Buffer.from(chunk));
  return window;
}

describe('ByteWindow', () => {
  it('holds the bytes appended, from start to end', () => {
    const window = windowOf('abc', '', 'defg');
    expect([window.start, window.end, window.bytes]).toEqual([0, 7, 7]);
    expect([window.holds(0), window.holds(6), window.holds(7)]).toEqual([true, true, false]);
  });

  it('copies what it appends: the caller may reuse its chunk', () => {
    const chunk = Buffer.from('abc');
    const window = new ByteWindow(4);
    window.append(chunk);
    chunk.fill('x');
    expect(window.read(0, 3).toString()).toBe('abc');
  });

  it('reads as views of one slab: at most `length` bytes, never past the slab or the end', () => {
    const window = windowOf('abc', 'def', 'ghi');
    const first = window.read(1, 6);
    expect(first.toString()).toBe('bcd');
    expect(window.read(4, 100).toString()).toBe('efgh');
    expect(window.read(8, 100).toString()).toBe('i');
    expect(window.read(5, 2).toString()).toBe('fg');
    // Views, not copies: two reads of one slab share its memory.
    expect(window.read(0, 1).buffer).toBe(first.buffer);
  });

  it('keeps the bytes a reader was handed when more are appended after them', () => {
    const window = windowOf('ab');
    const view = window.read(0, 4);
    window.append(Buffer.from('cdefgh'));
    expect(view.toString()).toBe('ab');
    expect(window.read(2, 2).toString()).toBe('cd');
  });

  it('gives views of every byte from a position to the end, one per slab, for a write', () => {
    const window = windowOf('abcdefghij');
    expect(window.views(2).map(String)).toEqual(['cd', 'efgh', 'ij']);
    expect(window.views(4, 6).map(String)).toEqual(['ef']);
    expect(window.views(10)).toEqual([]);
  });

  it('drops only whole slabs that end before a position, and nothing after a clear', () => {
    const window = windowOf('abc', 'def', 'ghi');
    window.dropBefore(3);
    expect([window.start, window.holds(0)]).toEqual([0, true]);
    window.dropBefore(5);
    expect([window.start, window.holds(3), window.holds(4)]).toEqual([4, false, true]);
    expect(window.read(4, 3).toString()).toBe('efg');
    window.clear();
    expect([window.start, window.end, window.bytes, window.holds(8)]).toEqual([9, 9, 0, false]);
  });

  it('starts a new slab at the end once every slab was dropped', () => {
    const window = windowOf('abcdefgh');
    window.dropBefore(8);
    expect([window.start, window.end, window.bytes]).toEqual([8, 8, 0]);
    window.append(Buffer.from('ijklmn'));
    expect([window.start, window.end]).toEqual([8, 14]);
    expect(window.views(8).map(String)).toEqual(['ijkl', 'mn']);
    window.clear();
    window.append(Buffer.from('op'));
    expect(window.read(14, 9).toString()).toBe('op');
  });
});
