/**
 * @module vulndb/types
 * What the vulnerability database tells the rest of main: its state, and the findings for an inventory.
 * The scan queue (main/scans/) depends only on these shapes; the importer, the stored advisories and the
 * per-ecosystem version orderings behind them live in main/vulndb/.
 */
import type { Ecosystem, Inventory } from '../scan/types.js';

/** Ordered from worst to least; `unknown` when an advisory gives no usable severity. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export type SeverityCounts = Record<Severity, number>;

export interface VulnDbStatus {
  /** Changes each time a new database replaces the previous one; null before the first import. */
  generation: string | null;
  /** When the database in use was imported (ISO 8601), and the newest `modified` among its advisories. */
  importedAt: string | null;
  newestAdvisoryAt: string | null;
  advisoryCount: number;
  /** Advisories per OSV ecosystem name (e.g. "Debian:12", "npm"). */
  ecosystems: Record<string, number>;
}

export interface Finding {
  /** OSV id (e.g. "GHSA-…", "DSA-…", "DEBIAN-CVE-…") and its aliases (CVE ids). */
  id: string;
  aliases: string[];
  summary?: string;
  severity: Severity;
  /** CVSS base score and vector when the advisory gives one. */
  cvssScore?: number;
  cvssVector?: string;
  package: {
    ecosystem: Ecosystem;
    name: string;
    version: string;
    purl: string;
    /** Digest of the layer that introduced the package. */
    layer: string;
    /** Set when a distribution advisory matched on the source package. */
    sourceName?: string;
  };
  /** The lowest version that fixes it on the installed version's branch, when one is published. */
  fixedVersion?: string;
}

export interface VulnerabilityReport {
  /** The database generation the findings come from. */
  generation: string | null;
  findings: Finding[];
  counts: SeverityCounts;
}

/** Main's view of the database; implemented in main/vulndb/ over the metadata backend. */
export interface VulnerabilityDatabase {
  status(): Promise<VulnDbStatus>;
  /** Findings for an image's inventory; an empty database yields no findings (generation null). */
  match(inventory: Inventory): Promise<VulnerabilityReport>;
}
