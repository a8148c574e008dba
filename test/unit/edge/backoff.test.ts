import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../edge/backoff.js';

const backoff = { baseMs: 1_000, capMs: 30_000 };

describe('backoffDelayMs', () => {
  it('doubles the step after each failed attempt', () => {
    const top = (attempt: number) => backoffDelayMs(attempt, backoff, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(top)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('never pauses longer than the cap, however many attempts failed', () => {
    for (const attempt of [6, 7, 50, 10_000]) expect(backoffDelayMs(attempt, backoff, () => 0.999999)).toBe(30_000);
  });

  it('keeps at least half of the step, so a jittered pause is never zero', () => {
    expect(backoffDelayMs(1, backoff, () => 0)).toBe(500);
    expect(backoffDelayMs(100, backoff, () => 0)).toBe(15_000);
  });

  it('spreads pauses over the upper half of the step', () => {
    const delays = new Set(Array.from({ length: 10 }, (_, i) => backoffDelayMs(3, backoff, () => i / 10)));
    expect(delays.size).toBe(10);
    for (const delay of delays) expect(delay >= 2_000 && delay <= 4_000).toBe(true);
  });
});
