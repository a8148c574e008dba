/**
 * @module Runs a client command (skopeo, sync, ...) to completion with a time limit.
 *
 * The command is killed when the limit passes or the run is aborted (Ctrl-C); a non-zero exit
 * is an error carrying the tail of its output.
 */
import { spawn } from 'node:child_process';
import type { Cleanup } from './cleanup.js';

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cleanup?: Cleanup;
}

export class CommandError extends Error {
  readonly code = 'BENCH_COMMAND_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Resolves with the command's output (last 16 KiB) once it exits with status 0. */
export async function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  options.signal?.throwIfAborted();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  options.cleanup?.track(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16 * 1024);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let reason: string | undefined;
  const kill = (why: string) => {
    reason ??= why;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
  const onAbort = () => kill('aborted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const status = await new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`spawn error: ${err.message}`));
      child.once('close', (code, signal) => resolve(code === 0 ? 'ok' : (signal ?? `exit code ${code}`)));
    });
    if (status !== 'ok' || reason) {
      const shown = [command, ...args].join(' ');
      throw new CommandError(`\`${shown}\` failed (${reason ?? status}):\n${output.slice(-4096)}`);
    }
    return output;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
