/**
 * @module Semantic Versioning 2.0.0 ordering for npm and Go (the `semver` package does the comparing).
 * Go module versions carry a "v" prefix, "+incompatible" (build metadata, ignored by the ordering) and
 * pseudo-versions (v0.0.0-20210101000000-abcdef123456: a prerelease, so they order as Go orders them);
 * the Go standard library is versioned "go1.21.3", "go1.22", "go1.21rc2", which OSV writes "1.21.3",
 * "1.22.0", "1.21.0-rc.2".
 */
import semver from 'semver';

/** The version in semver form, or undefined when it is not one. */
export function toSemver(version: string): string | undefined {
  let text = version.trim();
  const go = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(text);
  if (go) {
    const pre = go[4] !== undefined ? `-${go[4]}.${go[5]}` : '';
    text = `${go[1]}.${go[2] ?? '0'}.${go[3] ?? '0'}${pre}`;
  }
  if (text.startsWith('v')) text = text.slice(1);
  return semver.valid(text) ?? undefined;
}

/** Throws `InvalidVersionError` for a string that is not a semantic version. */
export function compareSemver(a: string, b: string): number {
  const x = toSemver(a);
  const y = toSemver(b);
  if (x === undefined || y === undefined) throw new InvalidVersionError(x === undefined ? a : b);
  return semver.compare(x, y);
}

/** A version the ordering cannot place: the range that holds it is not evaluated. */
export class InvalidVersionError extends Error {
  readonly code = 'OUTPOST_INVALID_VERSION';
  constructor(readonly version: string) {
    super(`not a version of this ecosystem: ${JSON.stringify(version.slice(0, 100))}`);
    this.name = 'InvalidVersionError';
  }
}
