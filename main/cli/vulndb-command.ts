/**
 * @module `outpost main vulndb import FILE|DIR` and `outpost main vulndb status`: the OSV advisories,
 * imported offline into the data directory (also while main runs: LMDB allows several processes) or,
 * with --database, into PostgreSQL. The import replaces the database in use atomically; a running main
 * (every replica) matches against the new one from its next scan on.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { importVulnDb } from '../vulndb/import.js';
import { VulnDbSourceError } from '../vulndb/osv-sources.js';
import type { VulnDbStatus } from '../vulndb/types.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface VulnDbCommand {
  /** import | status (anything else is a usage error). */
  action: string | undefined;
  args: string[];
  storage: MainStorageConfig;
}

function usageProblem({ action, args }: VulnDbCommand): string | undefined {
  if (action === 'import') return args.length === 1 ? undefined : 'vulndb import takes exactly one FILE or DIR';
  if (action === 'status') return args.length === 0 ? undefined : 'vulndb status takes no arguments';
  return action === undefined
    ? 'missing command: import or status'
    : `unknown command "vulndb ${action}": expected import or status`;
}

export function formatVulnDbStatus(status: VulnDbStatus): string {
  if (status.generation === null) return 'no vulnerability database imported yet\n';
  const lines = [
    `generation     ${status.generation}`,
    `imported at    ${status.importedAt}`,
    `newest record  ${status.newestAdvisoryAt ?? '-'}`,
    `advisories     ${status.advisoryCount}`,
    ...Object.entries(status.ecosystems).map(([eco, n]) => `  ${eco.padEnd(20)} ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function runVulnDbCommand(command: VulnDbCommand, io: CliIo): Promise<number> {
  const problem = usageProblem(command);
  if (problem !== undefined) {
    io.err(`outpost main vulndb: ${problem}\n`);
    return EXIT.USAGE;
  }
  const source = command.action === 'import' ? resolve(command.args[0] as string) : undefined;
  if (source !== undefined && !existsSync(source)) {
    io.err(`outpost main vulndb import: ${source}: no such file or directory\n`);
    return EXIT.USAGE;
  }
  const dataDir = resolve(command.storage.dataDir);
  // An import may come before main's first start (it prepares the data directory, as `user add` does).
  if (source === undefined && command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main vulndb: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    if (source === undefined) {
      io.out(formatVulnDbStatus(await data.metadata.vulndb.status()));
      return EXIT.OK;
    }
    const previous = (await data.metadata.vulndb.status()).generation;
    const { status, progress } = await importVulnDb(source, data.metadata.vulndb, {
      onProgress: (p) => io.err(`read ${p.records} records: ${p.advisories} advisories, ${p.skipped} skipped\n`),
    });
    const replaced = previous === null ? '' : `; it replaced generation ${previous}`;
    io.err(`imported ${progress.advisories} advisories from ${source}${replaced}\n`);
    io.out(formatVulnDbStatus(status));
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof VulnDbSourceError)) throw err;
    io.err(`outpost main vulndb import: ${err.message}\nthe database in use was left as it was\n`);
    return EXIT.USAGE;
  } finally {
    await data.close();
  }
}
