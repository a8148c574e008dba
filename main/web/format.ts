/**
 * @module Pure formatting for the pages: sizes, dates and digests as people read them.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as registries and `docker images` show sizes: 1.2 MB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** `2026-11-23 19:35 UTC`: unambiguous whatever the reader's zone. */
export function formatDate(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const STEPS: Array<[number, string]> = [
  [60_000, 'minute'],
  [3_600_000, 'hour'],
  [86_400_000, 'day'],
  [30 * 86_400_000, 'month'],
  [365 * 86_400_000, 'year'],
];

/** `just now`, `5 minutes ago`, `3 days ago` (relative to `now`). */
export function formatRelative(at: number, now: number): string {
  const elapsed = Math.max(0, now - at);
  if (elapsed < 60_000) return 'just now';
  let label = 'minute';
  let size = 60_000;
  for (const [ms, name] of STEPS) {
    if (elapsed < ms) break;
    size = ms;
    label = name;
  }
  const count = Math.floor(elapsed / size);
  return `${count} ${label}${count === 1 ? '' : 's'} ago`;
}

/** `sha256:0123456789ab`: the algorithm and the first 12 hex digits (what `docker images` shows). */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}
