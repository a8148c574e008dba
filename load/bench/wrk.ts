/**
 * @module wrk (Debian's `wrk`), the closed-loop HTTP load generator for GET scenarios: requests
 * per second, latency percentiles (`--latency`), and how many answers were not 2xx or 3xx.
 *
 * wrk counts 3xx answers as successes; a scenario that expects one status checks it another
 * way (a server metric, a probe request before the run).
 */
import { runCommand, type RunOptions } from './command.js';

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with a status outside 2xx and 3xx. */
  non2xx3xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
  /** wrk's own text, for the log when a check fails. */
  output: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function percentile(output: string, p: string): number {
  const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
  if (!match) throw new Error(`wrk: no ${p}% latency in its output:\n${output}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function parseWrkOutput(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s+(\d+) requests in/m.exec(output);
  if (!rps || !total) throw new Error(`wrk: unexpected output:\n${output}`);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    requestsPerSecond: Number(rps[1]),
    p50Ms: percentile(output, '50'),
    p99Ms: percentile(output, '99'),
    non2xx3xx: non ? Number(non[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    output,
  };
}

/** Runs wrk once; its time limit is the run's duration plus a minute. */
export async function runWrk(options: WrkOptions, run: Omit<RunOptions, 'timeoutMs'>): Promise<WrkResult> {
  const args = [
    '-t',
    String(options.threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.seconds}s`,
    '--timeout',
    '10s',
    '--latency',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const output = await runCommand('wrk', args, { ...run, timeoutMs: (options.seconds + 60) * 1000 });
  return parseWrkOutput(output);
}
