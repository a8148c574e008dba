/**
 * @module Tag-name globs of pruning rules: `*` matches any run of characters, `?` exactly one,
 * everything else itself. Globs, not regular expressions, so that no pattern an administrator
 * types can make matching slow (a regex such as `(a+)+$` backtracks exponentially): the matcher
 * below is the two-pointer wildcard match, O(pattern × tag) at worst, without backtracking stacks.
 */

/** Tag characters (OCI: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`) plus the two wildcards. */
const GLOB_PATTERN = /^[A-Za-z0-9._*?-]{1,128}$/;

export const MAX_GLOB_LENGTH = 128;

export function isTagGlob(value: string): boolean {
  return GLOB_PATTERN.test(value);
}

export function matchesGlob(glob: string, tag: string): boolean {
  let g = 0;
  let t = 0;
  // Where the last `*` was, and the tag position it currently swallows up to.
  let star = -1;
  let starTag = 0;
  while (t < tag.length) {
    const c = glob[g];
    if (c === '*') {
      star = g++;
      starTag = t;
    } else if (c !== undefined && (c === '?' || c === tag[t])) {
      g++;
      t++;
    } else if (star >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      g = star + 1;
      t = ++starTag;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
