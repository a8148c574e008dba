#!/usr/bin/env node
/**
 * @module Builds dist/ (the compiled CLI and services) with tsc, and knows when it is stale.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled (`npm start`,
 * `npx outpost`, the test setup). `node scripts/build.mjs` always builds (`npm run build`);
 * `--if-stale` builds only when dist/ is missing or older than a source file, so a fresh clone
 * builds once and an unchanged tree starts at once. It never writes to stdout: `npx outpost
 * ...` output stays the command's own.
 *
 * Freshness: dist/.build-stamp carries the time the last successful build started; any file
 * under the compiled folders (or a tsconfig / package file) changed after it makes dist/ stale.
 * tsc runs incrementally with its build info inside dist/, so removing dist/ resets both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What tsconfig.build.json compiles, and the files that change how it compiles. */
const SOURCE_DIRS = ['src', 'main', 'edge', 'bin'];
const BUILD_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const STAMP = join(ROOT, 'dist', '.build-stamp');

function newestMtimeMs(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason() {
  const stamp = statSync(STAMP, { throwIfNoEntry: false });
  if (!stamp) return existsSync(join(ROOT, 'dist')) ? 'dist/ was not built by this script' : 'dist/ does not exist yet';
  const newest = Math.max(...[...SOURCE_DIRS, ...BUILD_FILES].map((p) => newestMtimeMs(join(ROOT, p))));
  return newest > stamp.mtimeMs ? 'sources changed since the last build' : undefined;
}

/** Runs tsc; throws when it fails (its diagnostics are on stderr). */
export function build(reason = 'build requested') {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) throw new Error('TypeScript is not installed: run `npm ci` first');
  process.stderr.write(`outpost: compiling TypeScript into dist/ (${reason}; takes 5 to 30 seconds)...\n`);
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', join('dist', '.tsbuildinfo')],
    // tsc reports errors on stdout; they go to stderr with the rest of this script's output.
    { cwd: ROOT, stdio: ['ignore', 2, 2] },
  );
  if (result.status !== 0) throw new Error(`the TypeScript build failed (exit ${result.status ?? result.signal})`);
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  writeFileSync(STAMP, `built ${new Date(started).toISOString()}\n`);
  // The stamp carries the start time: a file saved during the build makes the next run rebuild.
  utimesSync(STAMP, started / 1000, started / 1000);
  process.stderr.write(`outpost: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** Builds when dist/ is stale; returns whether it built. */
export function buildIfStale() {
  const reason = staleReason();
  if (reason === undefined) return false;
  build(reason);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    if (process.argv.includes('--if-stale')) buildIfStale();
    else build();
  } catch (err) {
    process.stderr.write(`outpost: ${err.message}\n`);
    process.exitCode = 1;
  }
}
