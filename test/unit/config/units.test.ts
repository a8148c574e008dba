import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes, parseDurationMs } from '../../../src/config/units.js';

describe('parseBytes', () => {
  it.each([
    ['a bare number of bytes', '1024', 1024],
    ['zero', '0', 0],
    ['an explicit b unit', '10b', 10],
    ['binary kibibytes', '512KiB', 512 * 1024],
    ['binary mebibytes', '4MiB', 4 * 2 ** 20],
    ['binary gibibytes', '10GiB', 10 * 2 ** 30],
    ['binary tebibytes', '2TiB', 2 * 2 ** 40],
    ['decimal kilobytes', '1kb', 1000],
    ['decimal single-letter units', '3g', 3e9],
    ['a fraction of a decimal unit', '1.5GB', 1.5e9],
    ['a fraction of a binary unit', '0.5KiB', 512],
    ['any letter case', '10gib', 10 * 2 ** 30],
    ['spaces around and between number and unit', ' 10 GiB ', 10 * 2 ** 30],
  ])('reads %s', (_, text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it('rounds a fraction of a byte to the nearest byte', () => {
    expect(parseBytes('1.4')).toBe(1);
    expect(parseBytes('0.001KiB')).toBe(1);
  });

  it('takes a non-negative integer number as bytes', () => {
    expect(parseBytes(4096)).toBe(4096);
    expect(parseBytes(0)).toBe(0);
  });

  it.each([
    ['a negative number', -1],
    ['a fractional number', 1.5],
    ['NaN', Number.NaN],
    ['a number beyond the safe integer range', 2 ** 53],
  ])('rejects %s', (_, value) => {
    expect(parseBytes(value)).toBeUndefined();
  });

  it.each([
    ['a word', 'ten'],
    ['an unknown unit', '10XB'],
    ['a unit alone', 'GiB'],
    ['an empty string', ''],
    ['a negative size', '-1GiB'],
    ['exponent notation', '1e3'],
    ['a size beyond the safe integer range', '9999999TiB'],
  ])('rejects %s', (_, text) => {
    expect(parseBytes(text)).toBeUndefined();
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['milliseconds', '500ms', 500],
    ['seconds', '30s', 30_000],
    ['minutes', '2m', 120_000],
    ['hours', '24h', 86_400_000],
    ['days', '7d', 7 * 86_400_000],
    ['a fraction of a unit', '1.5s', 1500],
    ['a bare number as milliseconds', '250', 250],
    ['zero', '0s', 0],
    ['spaces around and between number and unit', ' 5 m ', 300_000],
  ])('reads %s', (_, text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it('takes a non-negative finite number as milliseconds', () => {
    expect(parseDurationMs(1000)).toBe(1000);
  });

  it.each([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s', (_, value) => {
    expect(parseDurationMs(value)).toBeUndefined();
  });

  it.each([
    ['a word', 'soon'],
    ['weeks, which are not a unit', '1w'],
    ['an uppercase unit', '2M'],
    ['a spelled-out unit', '2 minutes'],
    ['a unit alone', 's'],
    ['an empty string', ''],
    ['a negative duration', '-5s'],
  ])('rejects %s', (_, text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [4 * 2 ** 20, '4.0 MiB'],
    [10 * 2 ** 30, '10.0 GiB'],
    [3 * 2 ** 40, '3.0 TiB'],
    [2048 * 2 ** 40, '2048.0 TiB'],
  ])('writes %d bytes as "%s"', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('writes text that parseBytes reads back to within the rounding', () => {
    const bytes = 10 * 2 ** 30;
    expect(parseBytes(formatBytes(bytes).replace(' ', ''))).toBe(bytes);
  });
});
