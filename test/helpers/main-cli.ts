/**
 * `outpost main <args>` run in-process on a data directory and the test's backend (its
 * `--database`/S3 flags), with what it prints captured: the CLI tests' common call.
 */
import { mainCli } from '../../main/cli.js';
import { backendArgs, type TestBackend } from './test-backend.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the command; a password prompt answers `password` (none of these commands asks by default). */
export async function runMainCli(args: string[], data: string, backend: TestBackend, password = ''): Promise<CliRun> {
  const run: CliRun = { code: -1, out: '', err: '' };
  run.code = await mainCli(
    [...args, '--data', data, ...backendArgs(backend)],
    {},
    {
      out: (s) => void (run.out += s),
      err: (s) => void (run.err += s),
      readPassword: async () => password,
    },
  );
  return run;
}
