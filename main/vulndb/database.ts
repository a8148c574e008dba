/**
 * @module `VulnerabilityDatabase` (./types.ts) over the metadata owner `VulnDbStore`: the scans ask it
 * for findings; the generation the findings came from is the one the lookup read.
 */
import type { VulnDbStore } from '../metadata/vulndb.js';
import type { Inventory } from '../scan/types.js';
import { countBySeverity, findVulnerabilities } from './match.js';
import type { VulnerabilityDatabase, VulnerabilityReport } from './types.js';

export function createVulnerabilityDatabase(store: VulnDbStore): VulnerabilityDatabase {
  return {
    status: () => store.status(),
    async match(inventory: Inventory): Promise<VulnerabilityReport> {
      let generation: string | null = null;
      const findings = await findVulnerabilities(inventory, async (keys) => {
        const read = await store.lookup(keys);
        generation = read.generation;
        return read.advisories;
      });
      if (findings.length === 0 && generation === null) generation = (await store.status()).generation;
      return { generation, findings, counts: countBySeverity(findings) };
    },
  };
}
