/**
 * `outpost main user ...` and `outpost main keys rotate`, run in-process through mainCli with
 * captured output, on a data directory in a temp dir: results, messages and exit statuses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mainCli } from '../../main/cli.js';
import { openMainData } from '../../main/main-data.js';
import { createAccounts } from '../../main/accounts/accounts.js';
import { KeyRing } from '../../src/auth/keys.js';
import { PasswordInputError } from '../../src/cli/read-password.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { backendArgs, prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';

let temp: TempDir;
let data: string;
let backend: TestBackend;

beforeEach(async () => {
  temp = await createTempDir('outpost-cli-');
  data = join(temp.path, 'data');
  backend = await prepareTestBackend(data);
});
afterEach(async () => {
  await backend.remove();
  await temp.remove();
});

/** The storage the commands wrote, opened as main opens it. */
const openData = () => openMainData({ dataDir: data, ...backend.storage });

interface Run {
  code: number;
  out: string;
  err: string;
  /** How many times the password was read. */
  reads: number;
}

/** Runs `outpost main <args> --data <data>` (on the project's backend) with `password` on standard input. */
async function cli(args: string[], password: string | Error = 'a-good-password'): Promise<Run> {
  const run: Run = { code: -1, out: '', err: '', reads: 0 };
  run.code = await mainCli(
    [...args, '--data', data, ...backendArgs(backend)],
    {},
    {
      out: (s) => void (run.out += s),
      err: (s) => void (run.err += s),
      readPassword: async () => {
        run.reads++;
        if (password instanceof Error) throw password;
        return password;
      },
    },
  );
  return run;
}

/** Whether `name` signs in with `password` on the data directory. */
async function signsIn(name: string, password: string): Promise<boolean> {
  const { metadata, close } = await openData();
  try {
    const accounts = createAccounts(metadata.accounts, { revokeCredentials: metadata.revokeCredentials });
    return (await accounts.authenticate(name, password)) !== undefined;
  } finally {
    await close();
  }
}

describe('outpost main user add', () => {
  it('creates a user with the password from standard input, and never prints the password', async () => {
    const run = await cli(['user', 'add', 'alice', '--password-stdin'], 'alice-secret-pw');
    expect(run).toMatchObject({ code: 0, out: 'created user "alice"\n', err: '', reads: 1 });
    expect(await signsIn('alice', 'alice-secret-pw')).toBe(true);
  });

  it('creates an administrator with --admin', async () => {
    expect((await cli(['user', 'add', 'root', '--admin', '--password-stdin'])).out).toBe(
      'created user "root" (administrator)\n',
    );
    expect((await cli(['user', 'list'])).out).toMatch(/^root +yes +yes +\d{4}-/m);
  });

  it('refuses without --password-stdin (exit 2), reading nothing and creating nothing', async () => {
    const run = await cli(['user', 'add', 'alice']);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--password-stdin');
    expect(run.reads).toBe(0);
    expect(existsSync(data)).toBe(false);
  });

  it('refuses a weak password (exit 2) without touching the data directory', async () => {
    const run = await cli(['user', 'add', 'alice', '--password-stdin'], 'short');
    expect(run.code).toBe(2);
    expect(run.err).toBe('outpost main user: password must be at least 8 characters\n');
    expect(existsSync(data)).toBe(false);
  });

  it.each(['Alice', 'a b', '../x', 'anonymous', 'x'.repeat(65), 'trailing-', 'dots..in'])(
    'refuses the name %j (exit 2)',
    async (name) => {
      const run = await cli(['user', 'add', name, '--password-stdin']);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/^outpost main user: /);
    },
  );

  it('refuses a name already taken (exit 1)', async () => {
    await cli(['user', 'add', 'alice', '--password-stdin']);
    const run = await cli(['user', 'add', 'alice', '--password-stdin'], 'another-password');
    expect(run.code).toBe(1);
    expect(run.err).toContain('already exists');
    expect(await signsIn('alice', 'a-good-password')).toBe(true);
  });

  it('reports an unreadable standard input (exit 2)', async () => {
    const run = await cli(
      ['user', 'add', 'alice', '--password-stdin'],
      new PasswordInputError('password entry abandoned'),
    );
    expect(run).toMatchObject({ code: 2, err: 'outpost main user: password entry abandoned\n' });
  });
});

describe('outpost main user passwd', () => {
  it('changes the password; the old one stops working', async () => {
    await cli(['user', 'add', 'alice', '--password-stdin'], 'first-password');
    const run = await cli(['user', 'passwd', 'alice', '--password-stdin'], 'second-password');
    expect(run).toMatchObject({ code: 0, out: 'changed the password of "alice"\n' });
    expect(await signsIn('alice', 'first-password')).toBe(false);
    expect(await signsIn('alice', 'second-password')).toBe(true);
  });

  it('signs the user out of sessions and refresh tokens', async () => {
    await cli(['user', 'add', 'alice', '--password-stdin']);
    const { metadata, close } = await openData();
    await metadata.sessions.createRefreshToken('hash', { user: 'alice', expiresAt: Date.now() + 60_000 });
    await close();
    const run = await cli(['user', 'passwd', 'alice', '--password-stdin'], 'second-password');
    expect(run.out).toBe('changed the password of "alice"; signed out 1 session(s) and refresh token(s)\n');
  });

  it('answers exit 1 for an unknown user, and 2 for a weak password or a missing --password-stdin', async () => {
    await cli(['user', 'add', 'alice', '--password-stdin']);
    expect(await cli(['user', 'passwd', 'bob', '--password-stdin'])).toMatchObject({
      code: 1,
      err: 'outpost main user: user "bob" does not exist\n',
    });
    expect((await cli(['user', 'passwd', 'alice', '--password-stdin'], '1234567')).code).toBe(2);
    expect((await cli(['user', 'passwd', 'alice'])).code).toBe(2);
    expect(await signsIn('alice', 'a-good-password')).toBe(true);
  });
});

describe('outpost main user list and remove', () => {
  it('lists users in a table', async () => {
    await cli(['user', 'add', 'bob', '--password-stdin']);
    await cli(['user', 'add', 'alice', '--admin', '--password-stdin']);
    const run = await cli(['user', 'list']);
    expect(run.code).toBe(0);
    const rows = run.out
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {2,}/));
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['NAME', 'ADMIN', 'ACTIVE'],
      ['alice', 'yes', 'yes'],
      ['bob', 'no', 'yes'],
    ]);
  });

  it('says so when there are no users', async () => {
    await cli(['user', 'add', 'bob', '--password-stdin']);
    await cli(['user', 'remove', 'bob']);
    expect((await cli(['user', 'list'])).out).toBe('no users\n');
  });

  it('removes a user; exit 1 for an unknown one', async () => {
    await cli(['user', 'add', 'bob', '--password-stdin']);
    expect(await cli(['user', 'remove', 'bob'])).toMatchObject({ code: 0, out: 'removed user "bob"\n' });
    expect(await signsIn('bob', 'a-good-password')).toBe(false);
    expect(await cli(['user', 'remove', 'bob'])).toMatchObject({
      code: 1,
      err: 'outpost main user: user "bob" does not exist\n',
    });
  });

  it('answers exit 1 when the embedded data directory does not exist, creating nothing', async () => {
    // On PostgreSQL the installation is the database, which exists: the same commands reach it.
    const runs = [];
    for (const args of [
      ['user', 'list'],
      ['keys', 'rotate'],
      ['user', 'remove', 'bob'],
    ])
      runs.push(await cli(args));
    if (backend.kind === 'embedded') {
      for (const run of runs) expect(run).toMatchObject({ code: 1, err: expect.stringContaining('does not exist') });
      expect(existsSync(data)).toBe(false);
    } else {
      expect(runs.map((run) => run.code)).toEqual([0, 0, 1]);
      expect(runs[2]!.err).toBe('outpost main user: user "bob" does not exist\n');
    }
  });
});

describe('outpost main keys rotate', () => {
  it('prints the new kid, which signs from now on; the old key stays published', async () => {
    await cli(['user', 'add', 'alice', '--password-stdin']);
    const first = await cli(['keys', 'rotate']);
    const second = await cli(['keys', 'rotate']);
    expect(first.code).toBe(0);
    const kid1 = first.out.trim();
    const kid2 = second.out.trim();
    expect(kid1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(kid2).not.toBe(kid1);
    const { metadata, close } = await openData();
    try {
      const ring = await KeyRing.open({ store: metadata.keys, maxTokenLifetimeMs: 300_000 });
      expect(ring.signingKey.kid).toBe(kid2);
      expect(ring.jwks().keys.map((k) => k.kid)).toEqual([kid1, kid2]);
    } finally {
      await close();
    }
  });
});

describe('bad usage (exit 2, with the usage text or a precise message)', () => {
  it.each([
    [['user']],
    [['user', 'frob']],
    [['user', 'list', 'extra']],
    [['user', 'add']],
    [['user', 'add', 'a', 'b', '--password-stdin']],
    [['user', 'passwd', 'alice', '--admin', '--password-stdin']],
    [['user', 'remove']],
    [['keys']],
    [['keys', 'frob']],
    [['keys', 'rotate', 'now']],
    [['keys', 'rotate', '--password-stdin']],
    [['gc', '--admin']],
    [['user', 'list', '--bogus']],
    [['user', 'add', 'alice', '--password-stdin=yes']],
    [['frobnicate']],
  ])('%j', async (args) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^outpost main/);
    expect(run.reads).toBe(0);
    expect(existsSync(data)).toBe(false);
  });

  it('prints the usage, with the user and keys commands, for --help (exit 0)', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const line of [
      'user add NAME [--admin] --password-stdin',
      'user passwd NAME --password-stdin',
      'user list',
      'user remove NAME',
      'keys rotate',
    ]) {
      expect(run.out).toContain(line);
    }
  });
});
