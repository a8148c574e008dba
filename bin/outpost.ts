#!/usr/bin/env node
/**
 * @module The `outpost` command: dispatches to the main registry or the edge cache.
 * This is the only module that may import both services.
 */
import { readFileSync } from 'node:fs';
import { mainCli, MAIN_USAGE } from '../main/cli.js';
import { edgeCli, EDGE_USAGE } from '../edge/cli.js';
import { devCli, DEV_USAGE } from './dev.js';

const SERVICES = `Usage: outpost <service> [command] [options]

Services:
  main    the main registry (OCI distribution API, accounts, web pages)
  edge    an edge cache node that serves blobs main redirects to it
  dev     main and one edge on loopback, ready to try`;

const USAGE = `${SERVICES}

${MAIN_USAGE}

${EDGE_USAGE}

${DEV_USAGE}`;

/** The version in package.json, which sits two levels above dist/bin/outpost.js. */
function version(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return (manifest as { version?: string }).version ?? 'unknown';
}

async function run(argv: string[]): Promise<number> {
  const [service, ...rest] = argv;
  switch (service) {
    case 'main':
      return mainCli(rest, process.env);
    case 'edge':
      return edgeCli(rest, process.env);
    case 'dev':
      return devCli(rest, process.env);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case '--version':
      process.stdout.write(`outpost ${version()}\n`);
      return 0;
    case undefined:
      process.stderr.write(`${SERVICES}\nRun 'outpost --help' for every command and option.\n`);
      return 2;
    default:
      // A typo deserves one line about it, not the whole manual.
      process.stderr.write(
        `outpost: unknown ${service.startsWith('-') ? 'option' : 'service'} '${service}'\n` +
          `Run 'outpost --help' for usage; the services are main, edge and dev.\n`,
      );
      return 2;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`outpost: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
