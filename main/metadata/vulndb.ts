/**
 * @module The vulnerability database owner: OSV advisories of one generation at a time, indexed by
 * (ecosystem family, package name), and the state users see (main/vulndb/types.ts `VulnDbStatus`).
 *
 * An import writes a NEW generation beside the one in use, invisible to readers, then `commit` switches
 * the current pointer in one transaction and removes the generation it replaced (and those of imports that
 * died before committing). Readers see the old database or the new one, never a mix; an import that
 * fails or is abandoned (`abort`) leaves the old one in place. Imports may overlap: each writes its own
 * generation, the last to commit wins. Backend failures reject with the backend's error.
 */
import { randomBytes } from 'node:crypto';
import type { Advisory } from '../vulndb/osv.js';
import type { VulnDbStatus } from '../vulndb/types.js';

export interface PackageKey {
  /** The OSV ecosystem before its first ":" ("Debian", "Alpine", "npm", "PyPI", "Go", "Maven"). */
  family: string;
  name: string;
}

export interface GenerationSummary {
  /** ISO 8601. */
  importedAt: string;
  newestAdvisoryAt: string | null;
  advisoryCount: number;
  /** Advisories per OSV ecosystem ("Debian:12"). */
  ecosystems: Record<string, number>;
}

export interface VulnDbImport {
  readonly generation: string;
  /** Adds advisories (each id once per import) under the keys given; invisible until `commit`. */
  add(batch: { advisory: Advisory; keys: PackageKey[] }[]): Promise<void>;
  /** Makes this generation the current one, atomically, and removes the previous one. */
  commit(summary: GenerationSummary): Promise<VulnDbStatus>;
  /** Removes what this import wrote; the current generation stays. */
  abort(): Promise<void>;
}

export interface VulnDbStore {
  status(): Promise<VulnDbStatus>;
  beginImport(): Promise<VulnDbImport>;
  /**
   * The current generation and, per key (`${family}\n${name}`), its advisories, read in one snapshot.
   * Keys without advisories are absent. The generation is null before the first import.
   */
  lookup(keys: PackageKey[]): Promise<{ generation: string | null; advisories: Map<string, Advisory[]> }>;
}

export const packageKeyString = (key: PackageKey): string => `${key.family}\n${key.name}`;

export const EMPTY_VULNDB_STATUS: Readonly<VulnDbStatus> = Object.freeze({
  generation: null,
  importedAt: null,
  newestAdvisoryAt: null,
  advisoryCount: 0,
  ecosystems: {},
});

/** A new generation id: sortable by time, unique across replicas. */
export function newGeneration(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
}
