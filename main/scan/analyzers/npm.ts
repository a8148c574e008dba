/**
 * @module scan/analyzers/npm
 * npm packages from package-lock.json (lockfileVersion 2 and 3: the "packages" map keyed by install path,
 * npm docs "package-lock.json") and from node_modules/<name>/package.json and node_modules/@scope/<name>/
 * package.json at any depth. A package.json deeper inside a package (lib/package.json) is not a package.
 * Lockfile entries with "link": true point at another entry and are not counted twice.
 */
import type { FoundPackage, WholeFileAnalyzer } from '../types.js';

const INSTALLED_MANIFEST = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/;
const LOCKFILE = /(?:^|\/)package-lock\.json$/;

/** Splits "@scope/name" into the purl namespace "@scope" and name. */
export function splitNpmName(full: string): { namespace?: string; name: string } {
  const m = /^(@[^/]+)\/(.+)$/.exec(full);
  return m?.[1] && m[2] ? { namespace: m[1], name: m[2] } : { name: full };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parsePackageJson(path: string, text: string): FoundPackage[] {
  const json: unknown = JSON.parse(text);
  if (!isRecord(json) || typeof json.name !== 'string' || typeof json.version !== 'string') return [];
  return [{ ecosystem: 'npm', ...splitNpmName(json.name), version: json.version, path }];
}

export function parsePackageLock(path: string, text: string): FoundPackage[] {
  const json: unknown = JSON.parse(text);
  if (!isRecord(json) || !isRecord(json.packages)) return [];
  const found: FoundPackage[] = [];
  for (const [key, value] of Object.entries(json.packages)) {
    const at = key.lastIndexOf('node_modules/');
    if (key === '' || at < 0 || !isRecord(value) || value.link === true) continue;
    if (typeof value.version !== 'string') continue;
    const full = typeof value.name === 'string' ? value.name : key.slice(at + 'node_modules/'.length);
    found.push({ ecosystem: 'npm', ...splitNpmName(full), version: value.version, path });
  }
  return found;
}

export const npmAnalyzer: WholeFileAnalyzer = {
  kind: 'whole',
  name: 'npm',
  accepts: (file) => INSTALLED_MANIFEST.test(file.path) || LOCKFILE.test(file.path),
  parse: (path, bytes) =>
    LOCKFILE.test(path)
      ? parsePackageLock(path, bytes.toString('utf8'))
      : parsePackageJson(path, bytes.toString('utf8')),
};
