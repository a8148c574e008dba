/**
 * `npm start`, the README's first command: it runs `outpost dev` (main and an edge) from a
 * build it keeps fresh, and stopping npm stops the services instead of orphaning them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, isAlive, type ProcessInfo } from '../helpers/process-tree.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let data: TempDir | undefined;
let started: ProcessInfo[] = [];

afterEach(async () => {
  // Whatever a failed test left behind (an orphaned server) must not outlive it.
  for (const p of started) if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
  started = [];
  await data?.remove();
});

async function npmStart(dataDir: string): Promise<{ npm: ChildProcess; output: () => string }> {
  const env: Record<string, string | undefined> = { ...process.env, OUTPOST_ADMIN_PASSWORD: 'npm-start-test-password' };
  const args = ['start', '--', '--data', dataDir, '--main-listen', '127.0.0.1:0', '--edge-listen', '127.0.0.1:0'];
  const npm = spawn('npm', args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  npm.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { npm, output: () => output };
}

describe('npm start', () => {
  it('starts main and the edge, and SIGTERM to npm stops every process it started', async () => {
    data = await createTempDir();
    const { npm, output } = await npmStart(data.path);
    const exited = once(npm, 'exit');
    await waitFor(() => output().includes('outpost is running'), `npm start to be ready; output:\n${output()}`, 60_000);
    started = descendantsOf(npm.pid!);
    expect(started.some((p) => p.args.includes('outpost') && p.args.includes('dev'))).toBe(true);

    npm.kill('SIGTERM');
    await exited;
    for (const p of started) await waitFor(() => !isAlive(p.pid), `pid ${p.pid} (${p.args}) to exit`);
    // The services stopped gracefully (LMDB closed), not by being killed.
    expect(output()).toContain('main registry stopped');
    expect(output()).toContain('edge cache stopped');
  });
});
