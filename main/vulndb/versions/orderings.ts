/**
 * @module Which version ordering an OSV range uses: SEMVER ranges always use semver; ECOSYSTEM ranges
 * use the ordering of the package's ecosystem family (the OSV ecosystem before its first ":").
 */
import { compareApkVersions } from './apk.js';
import { compareDpkgVersions } from './dpkg.js';
import { compareMavenVersions } from './maven.js';
import { comparePep440 } from './pep440.js';
import { compareSemver } from './semver.js';

/** Negative, zero or positive; throws `InvalidVersionError` when a version is not of the ordering. */
export type VersionOrdering = (a: string, b: string) => number;

const BY_FAMILY: Record<string, VersionOrdering> = {
  Debian: compareDpkgVersions,
  Ubuntu: compareDpkgVersions,
  Alpine: compareApkVersions,
  npm: compareSemver,
  Go: compareSemver,
  PyPI: comparePep440,
  Maven: compareMavenVersions,
};

/** The ordering for a range, or undefined for a range type or family outside what outpost matches. */
export function orderingFor(family: string, rangeType: string): VersionOrdering | undefined {
  if (rangeType === 'SEMVER') return compareSemver;
  if (rangeType === 'ECOSYSTEM') return BY_FAMILY[family];
  return undefined;
}

/** The OSV ecosystem families outpost stores and matches. */
export const MATCHED_FAMILIES: ReadonlySet<string> = new Set(Object.keys(BY_FAMILY));
