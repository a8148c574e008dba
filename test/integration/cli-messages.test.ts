/**
 * What the built `outpost` command says when it is called wrongly: one plain line about the
 * mistake and one hint, never the whole manual; configuration and data directory problems name
 * the flag or variable to change. And `--version`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTPOST_BIN } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function outpost(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTPOST_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: TempDir;
beforeEach(async () => {
  dir = await createTempDir();
});
afterEach(async () => {
  await dir.remove();
});

describe('outpost <service>', () => {
  it('answers a mistyped service with "unknown service" and one hint line, exit 2', async () => {
    expect(await outpost(['mian'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "outpost: unknown service 'mian'\nRun 'outpost --help' for usage; the services are main, edge and dev.\n",
    });
    expect((await outpost(['--bogus'])).stderr).toMatch(/^outpost: unknown option '--bogus'\n/);
  });

  it('prints the full usage for --help and the package version for --version', async () => {
    const help = await outpost(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('outpost main user add NAME');
    const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(manifest) as { version: string };
    expect(await outpost(['--version'])).toEqual({ code: 0, stdout: `outpost ${version}\n`, stderr: '' });
  });
});

describe('unknown options and commands', () => {
  it('names an unknown option in one line for main, edge and dev', async () => {
    const [main, edge, dev] = await Promise.all([
      outpost(['main', '--lisen', ':1']),
      outpost(['edge', '--nme', 'x']),
      outpost(['dev', '--port', '1']),
    ]);
    const usage = (service: string, line: string) => ({
      code: 2,
      stdout: '',
      stderr: `${line} (see outpost ${service} --help)\n`,
    });
    expect(main).toEqual(usage('main', 'outpost main: unknown option --lisen'));
    expect(edge).toEqual(usage('edge', 'outpost edge: unknown option --nme'));
    expect(dev).toEqual(usage('dev', 'outpost dev: unknown option --port'));
  });

  it('says when an option lacks its value or a switch is given one', async () => {
    const [missing, swallowed, extra] = await Promise.all([
      outpost(['main', '--listen']),
      outpost(['main', '--listen', '--data', 'x']),
      outpost(['main', 'user', 'list', '--admin=yes']),
    ]);
    expect(missing.stderr).toBe('outpost main: --listen needs a value (see outpost main --help)\n');
    expect(swallowed.stderr).toBe('outpost main: --listen needs a value (see outpost main --help)\n');
    expect(extra.stderr).toBe('outpost main: --admin takes no value (see outpost main --help)\n');
  });

  it('names an unknown command in one line', async () => {
    const [main, edge] = await Promise.all([outpost(['main', 'serv']), outpost(['edge', 'serv'])]);
    const stderr = (service: string) => `outpost ${service}: unknown command "serv" (see outpost ${service} --help)\n`;
    expect(main).toEqual({ code: 2, stdout: '', stderr: stderr('main') });
    expect(edge).toEqual({ code: 2, stdout: '', stderr: stderr('edge') });
  });
});

describe('configuration problems', () => {
  it('names the flag or the variable the user set', async () => {
    const data = join(dir.path, 'edge');
    const edge = ['edge', '--name', 'sg', '--upstream', 'http://127.0.0.1:9', '--data', data];
    const [flag, env, missing] = await Promise.all([
      outpost([...edge, '--max-bytes', 'ten']),
      outpost(edge, { OUTPOST_EDGE_MAX_BYTES: 'ten' }),
      outpost(['edge', '--data', data]),
    ]);
    expect(flag).toMatchObject({
      code: 2,
      stderr:
        'outpost edge: invalid configuration:\n' + '  - --max-bytes: expected a size like 10GiB or 512MiB, got "ten"\n',
    });
    expect(env.stderr).toContain('  - OUTPOST_EDGE_MAX_BYTES: expected a size like 10GiB or 512MiB, got "ten"\n');
    expect(missing.stderr).toContain('  - --name / OUTPOST_EDGE_NAME: required\n');
    expect(missing.stderr).toContain('  - --upstream / OUTPOST_EDGE_UPSTREAM: required\n');
  });

  it('refuses to listen on every interface without a public URL', async () => {
    const result = await outpost(['main', '--listen', '0.0.0.0:0', '--data', join(dir.path, 'main')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '  - --public-url / OUTPOST_MAIN_PUBLIC_URL: required when listening on every interface (0.0.0.0:0)',
    );
  });
});

describe('the data directory', () => {
  it('says that the data directory is a file, or lies under one, naming --data and the variable', async () => {
    const file = join(dir.path, 'file');
    await writeFile(file, 'not a directory');
    const [main, edge, command] = await Promise.all([
      outpost(['main', '--listen', '127.0.0.1:0', '--data', file]),
      outpost(['edge', '--name', 'sg', '--upstream', 'http://127.0.0.1:9', '--data', join(file, 'edge')]),
      outpost(['main', 'user', 'list', '--data', file]),
    ]);
    expect(main).toMatchObject({
      code: 1,
      stderr:
        `outpost main: data directory ${file}: exists and is not a directory ` +
        '(set it with --data / OUTPOST_MAIN_DATA_DIR)\n',
    });
    expect(edge).toMatchObject({
      code: 1,
      stderr:
        `outpost edge: data directory ${join(file, 'edge')}: a part of its path is a file, not a directory ` +
        '(set it with --data / OUTPOST_EDGE_DATA_DIR)\n',
    });
    expect(command.code).toBe(1);
    expect(command.stderr).toContain(`data directory ${file}: exists and is not a directory`);
  });

  it('creates a data directory whose parents are missing', async () => {
    const nested = join(dir.path, 'a', 'b', 'main');
    await mkdir(join(dir.path, 'a'));
    const result = await outpost(['main', 'gc', '--dry-run', '--data', nested]);
    expect(result).toMatchObject({ code: 0, stdout: 'would remove 0 of 0 blobs (0 B)\n' });
  });
});
