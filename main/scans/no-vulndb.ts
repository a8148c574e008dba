/**
 * @module The vulnerability database of a main that has none: no advisories, generation null, so
 * scans store their inventory with no findings and are rematched once a database is imported.
 * service.ts uses it until the imported database (main/vulndb/) is wired in.
 */
import type { VulnerabilityDatabase } from '../vulndb/types.js';

export const NO_VULNERABILITY_DATABASE: VulnerabilityDatabase = Object.freeze({
  async status() {
    return { generation: null, importedAt: null, newestAdvisoryAt: null, advisoryCount: 0, ecosystems: {} };
  },
  async match() {
    return { generation: null, findings: [], counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 } };
  },
});
