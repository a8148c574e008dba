/**
 * @module PEP 440 version ordering for PyPI ("Version specifiers", "Summary of permitted suffixes and
 * relative ordering"): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the normalisations the PEP
 * allows (alpha/beta/c/pre/preview, rev/r, "-N" as post, separators, a leading "v", any case). Order per
 * release: .devN < aN < bN < rcN < (final) < .postN; a dev release of a pre or post release sorts before
 * it; trailing zeros of the release do not count (1.0 == 1.0.0); a local version sorts after the same
 * public version, its segments compared numbers before text. Mirrors packaging's `Version._key`.
 */
import { compareNumeric } from './apk.js';
import { InvalidVersionError } from './semver.js';

const PATTERN = new RegExp(
  '^\\s*v?(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)' +
    '(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\\d+)?)?' +
    '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?' +
    '(?:[-_.]?(dev)[-_.]?(\\d+)?)?' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

interface Pep440Version {
  epoch: string;
  release: string[];
  /** [rank, number]; absent for a final release. */
  pre?: [number, string];
  post?: string;
  dev?: string;
  local?: string[];
}

function parse(version: string): Pep440Version {
  const m = PATTERN.exec(version);
  if (!m) throw new InvalidVersionError(version);
  const release = (m[2] ?? '').split('.');
  while (release.length > 1 && /^0+$/.test(release[release.length - 1] ?? '')) release.pop();
  const parsed: Pep440Version = { epoch: m[1] ?? '0', release };
  if (m[3] !== undefined) parsed.pre = [PRE_RANK[m[3].toLowerCase()] ?? 0, m[4] ?? '0'];
  if (m[5] !== undefined) parsed.post = m[5];
  else if (m[6] !== undefined) parsed.post = m[7] ?? '0';
  if (m[8] !== undefined) parsed.dev = m[9] ?? '0';
  if (m[10] !== undefined) parsed.local = m[10].toLowerCase().split(/[-_.]/);
  return parsed;
}

function compareRelease(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareNumeric(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

// The pre-release key: a dev-only release sorts before any pre-release; a final release after all.
function preKey(v: Pep440Version): [number, string] {
  if (v.pre) return v.pre;
  if (v.post === undefined && v.dev !== undefined) return [-1, '0'];
  return [3, '0'];
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) return a ? 1 : b ? -1 : 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum !== yNum) return xNum ? 1 : -1;
    const c = xNum ? compareNumeric(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

/** Throws `InvalidVersionError` for a string PEP 440 does not allow. */
export function comparePep440(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const [xPre, xPreN] = preKey(x);
  const [yPre, yPreN] = preKey(y);
  return (
    compareNumeric(x.epoch, y.epoch) ||
    compareRelease(x.release, y.release) ||
    xPre - yPre ||
    compareNumeric(xPreN, yPreN) ||
    // No post release sorts before any post release.
    (x.post === undefined
      ? y.post === undefined
        ? 0
        : -1
      : y.post === undefined
        ? 1
        : compareNumeric(x.post, y.post)) ||
    // No dev release sorts after any dev release.
    (x.dev === undefined ? (y.dev === undefined ? 0 : 1) : y.dev === undefined ? -1 : compareNumeric(x.dev, y.dev)) ||
    compareLocal(x.local, y.local)
  );
}

/** PEP 503 normalised project name: lower case, runs of "-", "_", "." as one "-". */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
