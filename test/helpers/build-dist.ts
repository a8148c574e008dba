/**
 * Vitest global setup for the projects that run the built CLI (`dist/bin/outpost.js`): compiles
 * dist/ once before any test when it is missing or older than a source file, so `npm test` on a
 * fresh clone passes by itself and never runs a stale build. Prints what it does (on stderr).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));

export default function setup(): void {
  execFileSync(process.execPath, [BUILD_SCRIPT, '--if-stale'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
