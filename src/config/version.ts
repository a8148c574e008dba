/** @module The version of outpost that runs: the `version` of its package.json. */
import { readFileSync } from 'node:fs';

/** The version in package.json: two levels up from src/config/, three from dist/src/config/. */
export function readVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'outpost' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this one; try the next candidate.
    }
  }
  return 'unknown';
}
