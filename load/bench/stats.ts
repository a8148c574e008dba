/**
 * @module Summary statistics and number formatting for benchmark samples.
 *
 * Absolute times on a small shared machine are noise; what a reader should compare is the
 * median of several repetitions, its spread, and the ratio to a peer measured in the same run.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Number of samples summarized. */
  n: number;
}

/** The median of `values` (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/** `a / b`, or undefined when either is missing or `b` is zero. */
export function ratio(a: number, b: number): number | undefined {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** Three significant digits or so: 0.123, 1.23, 12.3, 123, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

/** `median (min–max)`, or just the median for a single sample. */
export function formatSummary(summary: Summary): string {
  if (summary.n === 0) return 'n/a';
  if (summary.n === 1 || summary.min === summary.max) return formatNumber(summary.median);
  return `${formatNumber(summary.median)} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(2)}×`;
}

export const MiB = 1024 * 1024;
