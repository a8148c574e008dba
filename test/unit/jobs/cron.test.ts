/** Five-field cron expressions (main/jobs/cron.ts), in UTC. */
import { describe, expect, it } from 'vitest';
import { CronSyntaxError, parseCron } from '../../../main/jobs/cron.js';

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, after: string) => {
  const t = parseCron(expression).next(at(after));
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe('parseCron(...).next', () => {
  it('finds the next minute, strictly after the given time', () => {
    expect(next('* * * * *', '2026-01-01T10:00:00.000Z')).toBe('2026-01-01T10:01:00.000Z');
    expect(next('* * * * *', '2026-01-01T10:00:30.000Z')).toBe('2026-01-01T10:01:00.000Z');
  });

  it('runs a nightly schedule once a day at its hour', () => {
    expect(next('0 3 * * *', '2026-01-01T02:59:00.000Z')).toBe('2026-01-01T03:00:00.000Z');
    expect(next('0 3 * * *', '2026-01-01T03:00:00.000Z')).toBe('2026-01-02T03:00:00.000Z');
  });

  it('understands steps, ranges and lists', () => {
    expect(next('*/15 * * * *', '2026-01-01T10:16:00.000Z')).toBe('2026-01-01T10:30:00.000Z');
    expect(next('5,50 9-17/4 * * *', '2026-01-01T13:06:00.000Z')).toBe('2026-01-01T13:50:00.000Z');
    expect(next('0 0 1 */6 *', '2026-02-01T00:00:00.000Z')).toBe('2026-07-01T00:00:00.000Z');
  });

  it('treats day of week 0 and 7 as Sunday, and matches either day field when both are set', () => {
    // 2026-01-01 is a Thursday.
    expect(next('0 0 * * 7', '2026-01-01T00:00:00.000Z')).toBe('2026-01-04T00:00:00.000Z');
    expect(next('0 0 * * 0', '2026-01-01T00:00:00.000Z')).toBe('2026-01-04T00:00:00.000Z');
    expect(next('0 0 15 * 5', '2026-01-01T00:00:00.000Z')).toBe('2026-01-02T00:00:00.000Z');
  });

  it('finds 29 February, and answers undefined for a date that never comes', () => {
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 31 2 *', '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it('refuses what it does not understand, naming the field', () => {
    for (const [expression, message] of [
      ['* * * *', 'a schedule has 5 fields "minute hour day-of-month month day-of-week", got 4'],
      ['60 * * * *', 'minute: 60 is outside 0-59'],
      ['* 5-2 * * *', 'hour: range 5-2 is backwards'],
      ['* * * JAN *', 'month: "JAN" is not a number'],
      ['@daily', 'a schedule has 5 fields "minute hour day-of-month month day-of-week", got 1'],
    ] as const) {
      expect(() => parseCron(expression), expression).toThrow(new CronSyntaxError(message));
    }
  });
});
