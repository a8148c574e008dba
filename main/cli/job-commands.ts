/**
 * @module `outpost main jobs list|show ID|start KIND [--param k=v ...]`: background jobs from the
 * terminal, on the data directory or database, also while main runs. `start` only records the
 * job (started by "cli"); the running main's runner picks it up within seconds (or at its next
 * start), as it does jobs created by other replicas.
 */
import type { Logger } from '../../src/log/logger.js';
import type { MainConfig } from '../config.js';
import { createJobs } from '../jobs/jobs.js';
import { JobError } from '../jobs/errors.js';
import { mainJobKinds } from '../jobs/kinds/main-job-kinds.js';
import { createVulnerabilityDatabase } from '../vulndb/database.js';
import type { JobRecord } from '../metadata/jobs.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { createRegistry } from '../registry/registry.js';
import { createAccessControl } from '../accounts/access-control.js';
import { createAccounts } from '../accounts/accounts.js';
import { actorOf, createRepositories } from '../accounts/repositories.js';
import { createPruning } from '../pruning/pruner.js';
import { createContentCaches } from '../caches/content-caches.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface JobCommand {
  action: string | undefined;
  args: string[];
  /** `--param k=v`, repeatable; values parse as JSON when they can (`true`, `60000`), else as strings. */
  params: string[];
  storage: MainStorageConfig;
  config: Readonly<MainConfig>;
  logger: Logger;
}

const LIST_LIMIT = 50;

function parseParams(pairs: string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new JobError('INVALID_INPUT', `--param expects KEY=VALUE, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: a plain string.
    }
    params[pair.slice(0, eq)] = value;
  }
  return params;
}

const iso = (at: number | undefined) => (at === undefined ? '-' : new Date(at).toISOString());

function formatList(jobs: JobRecord[]): string {
  const rows = [
    ['ID', 'KIND', 'STATE', 'PROGRESS', 'STARTED BY', 'CREATED'],
    ...jobs.map((j) => [
      j.id,
      j.kind,
      j.state,
      j.progress.total !== undefined ? `${j.progress.done}/${j.progress.total}` : String(j.progress.done),
      j.startedBy,
      iso(j.createdAt),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

function formatJob(job: JobRecord, log: string[]): string {
  return [
    `id:         ${job.id}`,
    `kind:       ${job.kind}`,
    `state:      ${job.state}${job.attempt > 1 ? ` (attempt ${job.attempt})` : ''}`,
    `progress:   ${job.progress.done}${job.progress.total !== undefined ? `/${job.progress.total}` : ''}` +
      (job.progress.message ? ` ${job.progress.message}` : ''),
    `started by: ${job.startedBy}`,
    `params:     ${JSON.stringify(job.params)}`,
    `created:    ${iso(job.createdAt)}`,
    `started:    ${iso(job.startedAt)}`,
    `ended:      ${iso(job.endedAt)}`,
    ...(job.summary ? [`summary:    ${JSON.stringify(job.summary)}`] : []),
    ...(job.error ? [`error:      ${job.error}`] : []),
    ...(log.length > 0 ? ['log:', ...log.map((line) => `  ${line}`)] : []),
  ].join('\n');
}

export async function runJobCommand(command: JobCommand, io: CliIo): Promise<number> {
  const { action, args } = command;
  const usage = (message: string) => {
    io.err(`outpost main jobs: ${message}\n`);
    return EXIT.USAGE;
  };
  if (action === 'list' && args.length > 0) return usage('jobs list takes no arguments');
  if ((action === 'show' || action === 'start') && args.length !== 1)
    return usage(`jobs ${action} takes exactly one ${action === 'show' ? 'job id' : 'kind'}`);
  if (action !== 'list' && action !== 'show' && action !== 'start')
    return usage(action === undefined ? 'missing command: list, show or start' : `unknown command "jobs ${action}"`);
  if (action !== 'start' && command.params.length > 0) return usage('--param only applies to jobs start');

  const data = await openMainData(command.storage, command.logger);
  try {
    const now = Date.now;
    const registry = createRegistry({
      metadata: data.metadata.registry,
      store: data.store,
      now,
      logger: command.logger,
      maxManifestBytes: command.config.storage.maxManifestBytes,
    });
    // The kinds main runs, built as main builds them: `start` checks parameters with their own parsers.
    const { metadata } = data;
    const accessControl = createAccessControl(
      (name) => metadata.registry.getRepository(name),
      metadata.accounts,
      metadata.settings,
    );
    const repositories = createRepositories({
      metadata: metadata.registry,
      accounts: metadata.accounts,
      accessControl,
      now,
    });
    const kinds = mainJobKinds({
      config: command.config,
      registryMetadata: metadata.registry,
      store: data.store,
      registry,
      pruning: createPruning({
        registry: metadata.registry,
        store: metadata.pruning,
        administer: (principal, name) => repositories.administer(principal, name),
        actorOf,
        now,
      }),
      accounts: createAccounts(metadata.accounts, { revokeCredentials: metadata.revokeCredentials }),
      settings: metadata.settings,
      logger: command.logger,
      now,
      // Only checked and recorded here: the main that runs the job picks the nodes and signs the tokens.
      warmCache: {
        caches: createContentCaches(metadata.caches, now),
        redirects: { warmTarget: () => Promise.reject(new Error('warm-cache jobs run in main')) },
      },
      // Never run here; a scan queued by the CLI would be a stored record main's queue claims.
      scans: {
        store: metadata.scans,
        enqueue: (request) => metadata.scans.enqueue(request),
        vulndb: createVulnerabilityDatabase(metadata.vulndb),
      },
    });
    const jobs = createJobs({
      store: data.metadata.jobs,
      runner: { kinds: new Map(kinds.map((k) => [k.kind, k])), poke: () => {}, abortLocal: () => false },
      now,
    });
    if (action === 'list') {
      io.out(`${formatList(await jobs.list({ limit: LIST_LIMIT }))}\n`);
    } else if (action === 'show') {
      const job = await jobs.get(args[0]!);
      io.out(`${formatJob(job, (await jobs.readLog(job.id, 0)).lines)}\n`);
    } else {
      const job = await jobs.startByAdmin({ kind: args[0]!, params: parseParams(command.params), startedBy: 'cli' });
      io.out(`${job.id}\n`);
    }
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof JobError)) throw err;
    io.err(`outpost main jobs: ${err.message}\n`);
    return err.code === 'INVALID_INPUT' ? EXIT.USAGE : EXIT.FAILED;
  } finally {
    await data.close();
  }
}
