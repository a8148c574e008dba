/**
 * @module `npm run bench`: runs benchmark scenarios side by side with their peers and reports
 * medians and ratios (markdown on stdout, the same figures as JSON in load/results/).
 *
 *   npm run bench -- [--only <scenario>[,<scenario>...]] [--reps N] [--param key=value ...]
 *                    [--timeout-min M] [--outpost FILE] [--list]
 *
 * Exit status: 0 done, 1 a scenario failed, 2 bad arguments, 3 a peer binary is missing,
 * 130 interrupted. Whatever the outcome, every process and file the run created is removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Cleanup } from './cleanup.js';
import { runCommand } from './command.js';
import { findMissing, OUTPOST_BIN, REPO_ROOT, type Requirement } from './processes.js';
import { renderMarkdown, writeJsonReport, type RunReport, type ScenarioReport } from './report.js';
import type { Scenario } from './scenario.js';
import { ALL_SCENARIOS, SCENARIOS } from './scenarios/index.js';

const USAGE = `Usage: npm run bench -- [options]

  --only NAMES      comma-separated scenarios to run (default: all but geo, backup, ldap, scan and
                    vulndb-import, which only --only runs)
  --reps N          repetitions per scenario, each peer measured once per repetition (default 3)
  --param K=V       scenario parameter, repeatable (see --list)
  --rtt MS, --rate MBIT, --loss PERCENT
                    the geo scenario's WAN link (same as --param rtt=, rate=, loss=)
  --timeout-min M   abort the whole run after M minutes (default 120)
  --outpost FILE    the outpost CLI to measure (default dist/bin/outpost.js of this checkout),
                    e.g. another commit's build, to compare commits
  --list            list scenarios and their parameters
  -h, --help        this text`;

const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

class UsageError extends Error {
  readonly code = 'BENCH_USAGE';
}

interface Options {
  scenarios: Scenario[];
  reps: number;
  params: Record<string, string>;
  timeoutMs: number;
  outpostBin: string;
}

function parseOptions(argv: string[]): Options | 'help' | 'list' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        reps: { type: 'string' },
        param: { type: 'string', multiple: true },
        'timeout-min': { type: 'string' },
        outpost: { type: 'string' },
        rtt: { type: 'string' },
        rate: { type: 'string' },
        loss: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.help) return 'help';
  if (parsed.list) return 'list';
  const names = parsed.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const scenarios = names
    ? names.map((n) => ALL_SCENARIOS.find((s) => s.name === n) ?? unknownScenario(n))
    : [...SCENARIOS];
  const reps = Number(parsed.reps ?? 3);
  if (!Number.isInteger(reps) || reps < 1 || reps > 50)
    throw new UsageError(`--reps: expected an integer from 1 to 50, got "${parsed.reps}"`);
  const timeoutMin = Number(parsed['timeout-min'] ?? 120);
  if (!Number.isFinite(timeoutMin) || timeoutMin <= 0)
    throw new UsageError(`--timeout-min: expected a positive number, got "${parsed['timeout-min']}"`);
  const params: Record<string, string> = {};
  for (const pair of parsed.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param: expected key=value, got "${pair}"`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  for (const key of ['rtt', 'rate', 'loss'] as const) if (parsed[key] !== undefined) params[key] = parsed[key];
  const outpostBin = parsed.outpost !== undefined ? resolve(parsed.outpost) : OUTPOST_BIN;
  return { scenarios, reps, params, timeoutMs: timeoutMin * 60_000, outpostBin };
}

function unknownScenario(name: string): never {
  throw new UsageError(`unknown scenario "${name}"; known: ${ALL_SCENARIOS.map((s) => s.name).join(', ')}`);
}

function listScenarios(): string {
  return ALL_SCENARIOS.map((s) =>
    [`${s.name}: ${s.title}`, ...Object.entries(s.params).map(([k, v]) => `    --param ${k}=...  ${v}`)].join('\n'),
  ).join('\n');
}

function missingMessage(missing: Requirement[]): string {
  const packages = [...new Set(missing.map((m) => m.debianPackage))];
  return [
    `outpost bench: missing peer binaries: ` +
      `${missing.map((m) => `${m.binary} (Debian package ${m.debianPackage})`).join(', ')}.`,
    `Install them with \`npm run bench:setup\` (as root), or: apt-get install -y ${packages.join(' ')}`,
  ].join('\n');
}

async function versionOf(command: string, args: string[]): Promise<string> {
  try {
    return (await runCommand(command, args, { timeoutMs: 10_000 })).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

async function describeMachine(outpostBin: string): Promise<Record<string, string | number>> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    outpostCommit: await versionOf('git', ['-C', REPO_ROOT, 'describe', '--always', '--dirty']),
    outpostBin,
    distribution: await versionOf('docker-registry', ['--version']),
    skopeo: await versionOf('skopeo', ['--version']),
  };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`outpost bench: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help' || options === 'list') {
    process.stdout.write(`${options === 'help' ? USAGE : listScenarios()}\n`);
    return 0;
  }

  const missing = await findMissing([
    ...new Map(options.scenarios.flatMap((s) => s.requires).map((r) => [r.binary, r])).values(),
  ]);
  if (missing.length > 0) {
    process.stderr.write(`${missingMessage(missing)}\n`);
    return 3;
  }
  if (!existsSync(options.outpostBin)) {
    process.stderr.write(
      `outpost bench: ${options.outpostBin} is missing: run \`npm run build\` (npm run bench does it for you)\n`,
    );
    return 3;
  }

  const cleanup = new Cleanup();
  const interrupt = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // Second signal: leave now; the exit hook still kills the servers.
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping (again to force)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const signal = AbortSignal.any([interrupt.signal, AbortSignal.timeout(options.timeoutMs)]);

  const startedAt = new Date(started).toISOString();
  const reports: ScenarioReport[] = [];
  let status = 0;
  try {
    const tempDir = await mkdtemp(join(tmpdir(), 'outpost-bench-'));
    cleanup.defer('remove temp dir', () => rm(tempDir, { recursive: true, force: true }));
    log(`work directory ${tempDir}`);
    const machine = await describeMachine(options.outpostBin);
    for (const scenario of options.scenarios) {
      log(`scenario ${scenario.name}: ${options.reps} repetitions`);
      const workDir = join(tempDir, scenario.name);
      try {
        const result = await scenario.run({
          workDir,
          reps: options.reps,
          params: options.params,
          cleanup,
          outpostBin: options.outpostBin,
          signal,
          log,
        });
        reports.push({ name: scenario.name, title: scenario.title, reps: options.reps, result });
      } catch (err) {
        status = interrupted ? 130 : 1;
        log(`scenario ${scenario.name} failed: ${(err as Error).message}`);
        if (signal.aborted) break;
      }
    }
    if (reports.length > 0) {
      const report: RunReport = {
        startedAt,
        finishedAt: new Date().toISOString(),
        command: `npm run bench -- ${argv.join(' ')}`.trim(),
        machine,
        scenarios: reports,
      };
      process.stdout.write(`\n${renderMarkdown(report)}\n`);
      const path = await writeJsonReport(join(REPO_ROOT, 'load', 'results'), report);
      log(`results written to ${path}`);
    }
  } finally {
    log('cleaning up');
    await cleanup.runAll(log);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return status;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`outpost bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
