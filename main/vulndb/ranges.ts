/**
 * @module Whether a version lies in an OSV affected entry (osv-schema "Evaluation"): listed in `versions`,
 * or inside one of `ranges`. A range's events are sorted by version (introduced "0" first) and walked:
 * an introduced event at or below the version opens it, a fixed event at or below closes it, a
 * last_affected event below closes it; `limit` events, when present, cap the range (the version must be
 * below one). The fixed version reported is the first fixed event above the version in the range that matched.
 * A range whose versions its ordering cannot read is skipped (not matched), as osv-scanner does.
 */
import type { AffectedPackage, OsvEvent, OsvRange } from './osv.js';
import { orderingFor, type VersionOrdering } from './versions/orderings.js';

export interface RangeMatch {
  fixedVersion?: string;
}

const versionOf = (e: OsvEvent): string => (e.introduced ?? e.fixed ?? e.last_affected ?? e.limit) as string;

function sortEvents(events: OsvEvent[], compare: VersionOrdering): OsvEvent[] {
  const key = (e: OsvEvent): string => versionOf(e);
  return [...events].sort((a, b) => {
    if (a.introduced === '0' || b.introduced === '0') return a.introduced === '0' ? (b.introduced === '0' ? 0 : -1) : 1;
    return compare(key(a), key(b));
  });
}

function inRange(version: string, range: OsvRange, compare: VersionOrdering): RangeMatch | undefined {
  const events = sortEvents(range.events, compare);
  let affected = false;
  let fixedVersion: string | undefined;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || compare(version, e.introduced) >= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if (compare(version, e.fixed) >= 0) affected = false;
      else if (affected && fixedVersion === undefined) fixedVersion = e.fixed;
    } else if (e.last_affected !== undefined) {
      if (compare(version, e.last_affected) > 0) affected = false;
    }
    // The walk past the version: only the first fixed event above it is wanted.
    if (!affected && e.introduced !== '0' && compare(version, versionOf(e)) < 0) break;
  }
  if (!affected) return undefined;
  const limits = events.filter((e) => e.limit !== undefined);
  if (limits.length > 0 && !limits.some((e) => e.limit === '*' || compare(version, e.limit as string) < 0))
    return undefined;
  return fixedVersion !== undefined ? { fixedVersion } : {};
}

/** The match of `version` in `affected`, or undefined when it is not affected. */
export function matchAffected(version: string, affected: AffectedPackage): RangeMatch | undefined {
  // Go's records list versions without the "v" the module versions carry. Otherwise the exact string:
  // lists can be hundreds long (Debian's), too long to compare each by the ordering.
  const listed = affected.family === 'Go' ? version.replace(/^v/, '') : version;
  if (affected.versions.includes(listed)) {
    // Still report a fix when a range names one.
    return matchRanges(version, affected) ?? {};
  }
  return matchRanges(version, affected);
}

function matchRanges(version: string, affected: AffectedPackage): RangeMatch | undefined {
  for (const range of affected.ranges) {
    const compare = orderingFor(affected.family, range.type);
    if (compare === undefined) continue;
    try {
      const match = inRange(version, range, compare);
      if (match) return match;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'OUTPOST_INVALID_VERSION') throw err;
    }
  }
  return undefined;
}
