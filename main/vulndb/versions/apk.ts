/**
 * @module Alpine's apk version ordering (apk-tools src/version.c, and apk-package(5) "pkgver"):
 * `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`. Components compare left to right: the first
 * number numerically; later numbers with a leading zero compare as strings (as fractions, "1.01" < "1.1");
 * more numbers sort later; a letter sorts after none; suffixes _alpha < _beta < _pre < _rc < (none) <
 * _cvs < _svn < _git < _hg < _p, each with its number; then the -r revision (absent = r0).
 * A string that does not parse sorts before every valid version and among its kind as text.
 */

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
// Rank of a suffix relative to "no suffix" (0).
const SUFFIX_RANK = new Map<string, number>([
  ...PRE_SUFFIXES.map((s, i): [string, number] => [s, i - PRE_SUFFIXES.length]),
  ...POST_SUFFIXES.map((s, i): [string, number] => [s, i + 1]),
]);

const PATTERN =
  /^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:~([0-9a-f]+))?(?:-r(\d+))?$/;

interface ApkVersion {
  numbers: string[];
  letter: string;
  suffixes: { rank: number; number: string }[];
  hash: string;
  revision: string;
}

function parse(version: string): ApkVersion | undefined {
  const m = PATTERN.exec(version);
  if (!m) return undefined;
  const suffixes = [...(m[3] ?? '').matchAll(/_([a-z]+)(\d*)/g)].map((s) => ({
    rank: SUFFIX_RANK.get(s[1] ?? '') ?? 0,
    number: s[2] ?? '',
  }));
  return {
    numbers: (m[1] ?? '').split('.'),
    letter: m[2] ?? '',
    suffixes,
    hash: m[4] ?? '',
    revision: m[5] ?? '0',
  };
}

/** Compares digit strings as non-negative integers of any length. */
export function compareNumeric(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareNumbers(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    // After the first component, a leading zero makes both compare as decimal fractions (text).
    const fractional = i > 0 && (x.startsWith('0') || y.startsWith('0'));
    const c = fractional ? compareText(x, y) : compareNumeric(x, y);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareSuffixes(a: ApkVersion['suffixes'], b: ApkVersion['suffixes']): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? { rank: 0, number: '' };
    const y = b[i] ?? { rank: 0, number: '' };
    if (x.rank !== y.rank) return x.rank - y.rank;
    const c = compareNumeric(x.number || '0', y.number || '0');
    if (c !== 0) return c;
  }
  return 0;
}

export function compareApkVersions(a: string, b: string): number {
  const va = parse(a);
  const vb = parse(b);
  if (!va || !vb) return va ? 1 : vb ? -1 : compareText(a, b);
  return (
    compareNumbers(va.numbers, vb.numbers) ||
    compareText(va.letter, vb.letter) ||
    compareSuffixes(va.suffixes, vb.suffixes) ||
    compareText(va.hash, vb.hash) ||
    compareNumeric(va.revision, vb.revision)
  );
}

export function isValidApkVersion(version: string): boolean {
  return parse(version) !== undefined;
}
