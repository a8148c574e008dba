/**
 * The built CLI (`dist/bin/outpost.js`, built by the test setup when stale) as real processes for
 * end-to-end tests: long-running services that are ready once they log a JSON line, and
 * one-shot commands run to completion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { OUTPOST_BIN } from './servers.js';
import { waitFor } from './wait-for.js';

export interface OutpostProcess {
  /** The URL it logged in its "listening" line. */
  url: string;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves once the process has exited, with its code or signal. */
  exited: Promise<number | string>;
  /** Waits until the output matches (such as a later log line). */
  waitForOutput(pattern: RegExp, what: string): Promise<void>;
  /** SIGTERM (or `signal`) and wait for the exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `node dist/bin/outpost.js <args>` with `env` added to this process's environment and
 * resolves once a JSON log line `{"msg":"<readyMessage>", ..., "bindUrl":"..."}` appears.
 */
export async function startOutpost(
  args: string[],
  env: Record<string, string>,
  readyMessage: string,
): Promise<OutpostProcess> {
  const child = spawn(process.execPath, [OUTPOST_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let status: number | string | undefined;
  const exited = once(child, 'exit').then(([code, signal]) => (status = (code ?? signal) as number | string));
  // The socket it listens on (`bindUrl`), not the public URL (`url`) clients would be sent to.
  const ready = new RegExp(`"msg":"${readyMessage}".*?"bindUrl":"([^"]+)"`);
  const url = await waitFor(() => {
    if (status !== undefined) throw new Error(`outpost ${args.join(' ')} exited with ${status}:\n${output}`);
    return ready.exec(output)?.[1];
  }, `outpost ${args[0]} to log "${readyMessage}"`);
  return {
    url,
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, what) {
      await waitFor(() => pattern.test(output), `${what}; output so far:\n${output}`);
    },
    async stop(signal = 'SIGTERM') {
      if (status === undefined) child.kill(signal);
      await exited;
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin/outpost.js <args>` to completion, with `env` added to this process's environment. */
export function runOutpost(args: string[], stdin = '', env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTPOST_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
