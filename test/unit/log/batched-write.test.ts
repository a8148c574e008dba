import { describe, expect, it } from 'vitest';
import { createBatchedWrite } from '../../../src/log/batched-write.js';

/** A batched writer whose turns end when the test says so. */
function capture(maxBytes?: number) {
  const written: string[] = [];
  const pending: Array<() => void> = [];
  const lines = createBatchedWrite((text) => written.push(text), {
    schedule: (flush) => pending.push(flush),
    ...(maxBytes !== undefined && { maxBytes }),
  });
  const endTurn = () => {
    for (const flush of pending.splice(0)) flush();
  };
  return { lines, written, pending, endTurn };
}

describe('createBatchedWrite', () => {
  it('writes the lines of one turn together, in order, once the turn is over', () => {
    const { lines, written, pending, endTurn } = capture();
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(written).toEqual([]);
    expect(pending).toHaveLength(1);
    endTurn();
    expect(written).toEqual(['a\nb\nc\n']);
  });

  it('writes each turn apart and nothing for a turn without lines', () => {
    const { lines, written, endTurn } = capture();
    lines.write('1\n');
    endTurn();
    endTurn();
    lines.write('2\n');
    endTurn();
    expect(written).toEqual(['1\n', '2\n']);
  });

  it('writes at once when the queued text reaches maxBytes, keeping the order', () => {
    const { lines, written, endTurn } = capture(8);
    lines.write('1234\n');
    lines.write('5678\n');
    expect(written).toEqual(['1234\n5678\n']);
    lines.write('9\n');
    endTurn();
    expect(written).toEqual(['1234\n5678\n', '9\n']);
  });

  it('flush writes every queued line now, and the turn then writes nothing more', () => {
    const { lines, written, endTurn } = capture();
    lines.write('last words\n');
    lines.flush();
    expect(written).toEqual(['last words\n']);
    endTurn();
    expect(written).toEqual(['last words\n']);
  });

  it('by default writes by the next turn of the event loop', async () => {
    const written: string[] = [];
    const lines = createBatchedWrite((text) => written.push(text));
    lines.write('x\n');
    expect(written).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['x\n']);
  });
});
