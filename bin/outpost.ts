#!/usr/bin/env node
/**
 * @module The `outpost` command: dispatches to the main registry or the edge cache.
 * This is the only module that may import both services.
 */
import { mainCli, MAIN_USAGE } from '../main/cli.js';
import { edgeCli, EDGE_USAGE } from '../edge/cli.js';
import { devCli, DEV_USAGE } from './dev.js';

const USAGE = `Usage: outpost <service> [command] [options]

Services:
  main    the main registry (OCI distribution API, accounts, web pages)
  edge    an edge cache node that serves blobs main redirects to it
  dev     main and one edge on loopback, ready to try

${MAIN_USAGE}

${EDGE_USAGE}

${DEV_USAGE}`;

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
    default:
      process.stderr.write(`${USAGE}\n`);
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
