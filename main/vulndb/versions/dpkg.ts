/**
 * @module dpkg's version ordering (deb-version(7), "Sorting algorithm"): `[epoch:]upstream[-revision]`.
 * Epochs compare as numbers; upstream and revision alternate non-digit and digit runs; in non-digit runs
 * `~` sorts before everything (even the end of the string), then the end, then letters, then other
 * characters; digit runs compare as numbers. A missing revision equals "0". Ports dpkg's lib/dpkg/version.c.
 */

interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

function parse(version: string): DpkgVersion {
  const text = version.trim();
  const colon = text.indexOf(':');
  const epochText = colon >= 0 ? text.slice(0, colon) : '';
  const epoch = /^\d+$/.test(epochText) ? Number(epochText) : 0;
  const rest = colon >= 0 && epochText !== '' && /^\d+$/.test(epochText) ? text.slice(colon + 1) : text;
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: '' };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string): boolean => /[A-Za-z]/.test(c);

/** dpkg's `order()`: the weight of one character of a non-digit run (undefined: the end of the string). */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (isLetter(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b`. Total: any string is accepted. */
export function compareDpkgVersions(a: string, b: string): number {
  const va = parse(a);
  const vb = parse(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return compareParts(va.upstream, vb.upstream) || compareParts(va.revision, vb.revision);
}
