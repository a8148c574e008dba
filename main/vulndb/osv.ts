/**
 * @module Reading one OSV record (https://ossf.github.io/osv-schema/) into the trimmed advisory outpost
 * stores: what matching and findings need (ids, aliases, summary, severities, and per affected package
 * its ranges and versions), without details, references or credits. Affected packages of ecosystems
 * outpost does not match are dropped; an advisory with none left is not stored.
 * Throws `NotOsvError` for input that is not an OSV record; never trusts a field's type.
 */
import { normalizePypiName } from './versions/pep440.js';
import { MATCHED_FAMILIES } from './versions/orderings.js';

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  /** ECOSYSTEM or SEMVER are evaluated; GIT ranges are dropped (no commit is known for a package). */
  type: string;
  events: OsvEvent[];
}

export interface OsvSeverity {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, ... */
  type: string;
  score: string;
}

export interface AffectedPackage {
  /** The OSV ecosystem as written ("Debian:12", "Alpine:v3.20", "npm"). */
  ecosystem: string;
  /** The ecosystem before its first ":" ("Debian"): the index key with `name`. */
  family: string;
  /** As published, except PyPI names, normalised per PEP 503. */
  name: string;
  ranges: OsvRange[];
  versions: string[];
  severity: OsvSeverity[];
  /** A severity word from ecosystem_specific (Debian's urgency) or database_specific. */
  severityWord?: string;
}

export interface Advisory {
  id: string;
  modified: string;
  aliases: string[];
  summary?: string;
  /** Set when the record was withdrawn: it never matches. */
  withdrawn?: string;
  severity: OsvSeverity[];
  /** database_specific.severity at the top level (GitHub's LOW/MODERATE/HIGH/CRITICAL). */
  severityWord?: string;
  affected: AffectedPackage[];
}

export class NotOsvError extends Error {
  readonly code = 'OUTPOST_NOT_OSV';
  constructor(readonly problem: string) {
    super(`not an OSV record: ${problem}`);
    this.name = 'NotOsvError';
  }
}

const MAX_ID = 200;
const MAX_SUMMARY = 500;
const MAX_STRING = 1_000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const shortString = (value: unknown, max = MAX_STRING): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => shortString(v) !== undefined) : [];

function severities(value: unknown): OsvSeverity[] {
  if (!Array.isArray(value)) return [];
  const out: OsvSeverity[] = [];
  for (const s of value) {
    const type = isRecord(s) ? shortString(s.type) : undefined;
    const score = isRecord(s) ? shortString(s.score) : undefined;
    if (type !== undefined && score !== undefined) out.push({ type, score });
  }
  return out;
}

function events(value: unknown): OsvEvent[] {
  if (!Array.isArray(value)) return [];
  const out: OsvEvent[] = [];
  for (const e of value) {
    if (!isRecord(e)) continue;
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const version = shortString(e[kind]);
      if (version !== undefined) out.push({ [kind]: version });
    }
  }
  return out;
}

function severityWord(...holders: unknown[]): string | undefined {
  for (const holder of holders) {
    if (!isRecord(holder)) continue;
    const word = shortString(holder.severity, 40) ?? shortString(holder.urgency, 40);
    if (word !== undefined) return word;
  }
  return undefined;
}

function affectedPackage(value: unknown): AffectedPackage | undefined {
  if (!isRecord(value) || !isRecord(value.package)) return undefined;
  const ecosystem = shortString(value.package.ecosystem, 100);
  const published = shortString(value.package.name);
  if (ecosystem === undefined || published === undefined) return undefined;
  const family = ecosystem.split(':')[0] ?? ecosystem;
  if (!MATCHED_FAMILIES.has(family)) return undefined;
  const ranges: OsvRange[] = [];
  for (const r of Array.isArray(value.ranges) ? value.ranges : []) {
    const type = isRecord(r) ? shortString(r.type, 20) : undefined;
    if (type === 'ECOSYSTEM' || type === 'SEMVER')
      ranges.push({ type, events: events((r as { events?: unknown }).events) });
  }
  const versions = strings(value.versions);
  if (ranges.length === 0 && versions.length === 0) return undefined;
  const word = severityWord(value.ecosystem_specific, value.database_specific);
  return {
    ecosystem,
    family,
    name: family === 'PyPI' ? normalizePypiName(published) : published,
    ranges,
    versions,
    severity: severities(value.severity),
    ...(word !== undefined && { severityWord: word }),
  };
}

/** The trimmed advisory, or undefined when it affects nothing outpost matches. */
export function readOsvRecord(json: unknown): Advisory | undefined {
  if (!isRecord(json)) throw new NotOsvError('not a JSON object');
  const id = shortString(json.id, MAX_ID);
  if (id === undefined) throw new NotOsvError('no "id"');
  const modified = shortString(json.modified, 64);
  if (modified === undefined || Number.isNaN(Date.parse(modified))) throw new NotOsvError(`${id}: no "modified" time`);
  if (json.affected !== undefined && !Array.isArray(json.affected))
    throw new NotOsvError(`${id}: "affected" is not a list`);
  const affected = (json.affected ?? []).map(affectedPackage).filter((a): a is AffectedPackage => a !== undefined);
  if (affected.length === 0) return undefined;
  // Debian's records name the CVE they track in "upstream", not "aliases".
  const aliases = [...new Set([...strings(json.aliases), ...strings(json.upstream)])].filter((a) => a !== id);
  const summary = typeof json.summary === 'string' ? json.summary.slice(0, MAX_SUMMARY) : undefined;
  const withdrawn = shortString(json.withdrawn, 64);
  const word = severityWord(json.database_specific);
  return {
    id,
    modified,
    aliases,
    ...(summary && { summary }),
    ...(withdrawn !== undefined && { withdrawn }),
    severity: severities(json.severity),
    ...(word !== undefined && { severityWord: word }),
    affected,
  };
}

/** The (family, name) keys an advisory is found under, each once. */
export function indexKeys(advisory: Advisory): { family: string; name: string }[] {
  const seen = new Map<string, { family: string; name: string }>();
  for (const a of advisory.affected) seen.set(`${a.family}\n${a.name}`, { family: a.family, name: a.name });
  return [...seen.values()];
}
