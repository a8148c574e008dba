/**
 * @module Findings for an inventory: each package is looked up under its (family, name) key, and each
 * advisory found is checked against the package's ecosystem and version. Withdrawn advisories never
 * match. One finding per (advisory, package); findings sorted worst first, then by id and package.
 * Knows nothing of storage: `lookup` hands it the advisories of one database generation.
 */
import { packageKeyString, type PackageKey } from '../metadata/vulndb.js';
import type { Inventory } from '../scan/types.js';
import type { Advisory } from './osv.js';
import { queryFor } from './package-query.js';
import { matchAffected } from './ranges.js';
import { severityOf } from './severity.js';
import { SEVERITIES, type Finding, type SeverityCounts } from './types.js';

/** Advisories per key (`packageKeyString`) of one generation, read in one snapshot. */
export type AdvisoryLookup = (keys: PackageKey[]) => Promise<Map<string, Advisory[]>>;

const keyString = packageKeyString;

export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

export async function findVulnerabilities(inventory: Inventory, lookup: AdvisoryLookup): Promise<Finding[]> {
  const queries = inventory.packages.map((pkg) => ({ pkg, query: queryFor(pkg, inventory.distro) }));
  const keys = new Map<string, PackageKey>();
  for (const { query } of queries) if (query) keys.set(keyString(query), { family: query.family, name: query.name });
  if (keys.size === 0) return [];
  const advisories = await lookup([...keys.values()]);
  const findings: Finding[] = [];
  for (const { pkg, query } of queries) {
    if (!query) continue;
    const seen = new Set<string>();
    for (const advisory of advisories.get(keyString(query)) ?? []) {
      if (advisory.withdrawn !== undefined || seen.has(advisory.id)) continue;
      for (const affected of advisory.affected) {
        if (affected.name !== query.name || affected.family !== query.family) continue;
        if (!query.acceptsEcosystem(affected.ecosystem)) continue;
        const match = matchAffected(query.version, affected);
        if (!match) continue;
        seen.add(advisory.id);
        findings.push({
          id: advisory.id,
          aliases: advisory.aliases,
          ...(advisory.summary !== undefined && { summary: advisory.summary }),
          ...severityOf(advisory, affected),
          package: {
            ecosystem: pkg.ecosystem,
            name: pkg.namespace ? `${pkg.namespace}${pkg.ecosystem === 'maven' ? ':' : '/'}${pkg.name}` : pkg.name,
            version: pkg.version,
            purl: pkg.purl,
            layer: pkg.layer,
            ...(query.sourceName !== undefined && { sourceName: query.sourceName }),
          },
          ...(match.fixedVersion !== undefined && { fixedVersion: match.fixedVersion }),
        });
        break;
      }
    }
  }
  const rank = (f: Finding): number => SEVERITIES.indexOf(f.severity);
  return findings.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.id.localeCompare(b.id) ||
      a.package.name.localeCompare(b.package.name) ||
      a.package.version.localeCompare(b.package.version),
  );
}

export function countBySeverity(findings: Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const f of findings) counts[f.severity]++;
  return counts;
}
