/**
 * The first start of the built CLI when its port is taken (port 5000 is AirPlay on macOS):
 * `outpost main` and `outpost dev` fail at once with a message naming the address and the flag
 * to change, stop what they had started, and never leave an `admin` whose password nobody saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth, OUTPOST_BIN } from '../helpers/servers.js';
import { startOutpost } from '../helpers/outpost-processes.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `outpost <args>` to completion, without OUTPOST_ADMIN_PASSWORD (a newcomer's first start). */
function outpost(args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const { OUTPOST_ADMIN_PASSWORD: _, ...inherited } = process.env;
  const env = { ...inherited, ...extraEnv };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTPOST_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.on('exit', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ANY_PORT = '127.0.0.1:0';

/** Commands still running when a test ends (the old hang) are killed, not left behind. */
const running = new Set<ChildProcess>();
let data: TempDir;
let busy: Server;
let busyAddress: string;

beforeEach(async () => {
  data = await createTempDir();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyAddress = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  await new Promise((resolve) => busy.close(resolve));
  await data.remove();
});

describe('outpost main, first start on a busy port', () => {
  it('exits 1 naming the address and --listen, and creates no admin; the next start prints the password', async () => {
    const failed = await outpost(['main', '--listen', busyAddress, '--data', data.path]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`outpost main: cannot listen on ${busyAddress}: the address is already in use`);
    expect(failed.stderr).toContain('--listen HOST:PORT or OUTPOST_MAIN_LISTEN');
    expect(failed.stdout).not.toContain('password');

    const users = await outpost(['main', 'user', 'list', '--data', data.path]);
    expect(users.code).toBe(0);
    expect(users.stdout).not.toMatch(/^admin\b/m);

    const args = ['main', '--listen', '127.0.0.1:0', '--data', data.path];
    const main = await startOutpost(args, {}, 'main registry listening');
    try {
      await main.waitForOutput(/Created user "admin" with password: \S+/, 'the generated password');
      const password = /Created user "admin" with password: (\S+)/.exec(main.output())![1]!;
      const res = await fetch(`${main.url}/v2/`, { headers: { Authorization: basicAuth('admin', password) } });
      expect(res.status).toBe(200);
    } finally {
      await main.stop();
    }
  });
});

describe('outpost dev with a busy port', () => {
  it('exits 1 when the edge port is taken, stops main again and still prints the password it created', async () => {
    const result = await outpost(['dev', '--data', data.path, '--main-listen', ANY_PORT, '--edge-listen', busyAddress]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the edge cache did not start, main was stopped: cannot listen on ${busyAddress}`);
    expect(result.stderr).toContain('--edge-listen HOST:PORT');
    expect(result.stderr).toContain('"msg":"main registry stopped"');
    expect(result.stdout).toMatch(/Created user "admin" with password: \S+/);
  });

  it('exits 1 when the main port is taken, naming --main-listen', async () => {
    const result = await outpost(['dev', '--data', data.path, '--main-listen', busyAddress, '--edge-listen', ANY_PORT]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`outpost dev: main did not start: cannot listen on ${busyAddress}`);
    expect(result.stderr).toContain('--main-listen HOST:PORT');
  });

  it('exits 2 naming --main-listen for a bad address, and stops main when the edge configuration is bad', async () => {
    const address = await outpost(['dev', '--data', data.path, '--main-listen', 'nowhere']);
    expect(address).toMatchObject({
      code: 2,
      stderr:
        'outpost dev: main: invalid configuration:\n' +
        '  - --main-listen: expected HOST:PORT like 127.0.0.1:5000, got "nowhere"\n',
    });

    const loopback = ['--main-listen', '127.0.0.1:0', '--edge-listen', '127.0.0.1:0'];
    const edge = await outpost(['dev', '--data', data.path, ...loopback], { OUTPOST_EDGE_LOG__LEVEL: 'loud' });
    expect(edge.code).toBe(2);
    expect(edge.stderr).toContain(
      'outpost dev: the edge cache did not start, main was stopped: invalid configuration:\n' +
        '  - OUTPOST_EDGE_LOG__LEVEL: ',
    );
    expect(edge.stdout).toMatch(/Created user "admin" with password: \S+/);
  });
});
