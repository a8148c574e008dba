#!/usr/bin/env node
/**
 * @module The `outpost` command in a source checkout (`npx outpost ...`, `npm start`): compiles
 * dist/ first when it is missing or stale, then runs dist/bin/outpost.js in this same process,
 * so signals reach the service directly. Built images run dist/bin/outpost.js itself.
 */
import { buildIfStale } from './build.mjs';

try {
  buildIfStale();
} catch (err) {
  process.stderr.write(`outpost: ${err.message}\n`);
  process.exit(1);
}
await import('../dist/bin/outpost.js');
