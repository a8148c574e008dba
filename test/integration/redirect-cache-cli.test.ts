/**
 * `outpost main cache add|list|remove` and `outpost main cache token create`, run in-process
 * through mainCli with captured output on a data directory in a temp dir; then a main started on
 * that directory redirects to the cache added and accepts the join token created.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mainCli } from '../../main/cli.js';
import { openMainData } from '../../main/main-data.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startTestMain } from '../helpers/servers.js';
import { apiOk } from '../helpers/api-client.js';
import { backendArgs, prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';

let temp: TempDir;
let data: string;
let backend: TestBackend;

beforeEach(async () => {
  temp = await createTempDir('outpost-cache-cli-');
  data = join(temp.path, 'data');
  backend = await prepareTestBackend(data);
});
afterEach(async () => {
  await backend.remove();
  await temp.remove();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `outpost main <args> --data <data>` on the project's backend. */
async function cli(...args: string[]): Promise<Run> {
  const run: Run = { code: -1, out: '', err: '' };
  run.code = await mainCli(
    [...args, '--data', data, ...backendArgs(backend)],
    {},
    {
      out: (s) => void (run.out += s),
      err: (s) => void (run.err += s),
      readPassword: () => Promise.reject(new Error('no password is read by the cache commands')),
    },
  );
  return run;
}

describe('outpost main cache add', () => {
  it('adds a cache with its upstream, region and networks, before main ever started', async () => {
    expect(await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com/')).toMatchObject({
      code: 0,
      out: 'added content cache "eu" at https://eu.example.com, pulling from main\n',
    });
    const asia = await cli(
      'cache',
      'add',
      'asia',
      '--host',
      'https://asia.example.com',
      '--upstream',
      'eu',
      '--region',
      'ap-southeast-1',
      '--network',
      '10.1.0.0/16',
      '--network',
      '2001:db8::/32',
    );
    expect(asia).toMatchObject({
      code: 0,
      out: 'added content cache "asia" at https://asia.example.com, pulling from eu\n',
    });
    const list = await cli('cache', 'list');
    expect(list.code).toBe(0);
    expect(list.out.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
      ['NAME', 'HOST', 'UPSTREAM', 'REGION', 'NETWORKS'],
      ['asia', 'https://asia.example.com', 'eu', 'ap-southeast-1', '10.1.0.0/16,2001:db8::/32'],
      ['eu', 'https://eu.example.com', '(main)'],
      [''],
      // A cache no edge joined is one node at its host; nothing probed it yet.
      ['CACHE', 'NODE', 'URL', 'HEALTH'],
      ['asia', 'default', 'https://asia.example.com', 'unknown (no shared probe record, no fresh heartbeat)'],
      ['eu', 'default', 'https://eu.example.com', 'unknown (no shared probe record, no fresh heartbeat)'],
      [''],
    ]);
  });

  it("lists each cache's nodes with their health, from the probe's shared record and the edges' heartbeats", async () => {
    expect((await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com')).code).toBe(0);
    const opened = await openMainData({ dataDir: data, ...backend.storage });
    try {
      const store = opened.metadata.caches;
      for (const id of ['a', 'b', 'c', 'd', 'e'])
        await store.joinCacheNode('eu', { id, host: `https://${id}.eu.example.com`, joinedAt: Date.now() });
      const now = Date.now();
      await store.recordHealth(
        new Map([
          ['eu/a', { up: true, checkedAt: now, failures: 0, successes: 3, reached: true as const }],
          ['eu/b', { up: false, checkedAt: now, lastError: 'connect ECONNREFUSED', failures: 3, successes: 0 }],
          ['eu/c', { up: false, checkedAt: now, lastError: 'connect ECONNREFUSED', failures: 3, successes: 0 }],
        ]),
      );
      // c: an edge main cannot reach, beating; d: beating but unwell; e: its last beat is a minute old.
      await store.recordHeartbeat('eu/c', { at: now, ok: true });
      await store.recordHeartbeat('eu/d', { at: now, ok: false });
      await store.recordHeartbeat('eu/e', { at: now - 60_000, ok: true });
    } finally {
      await opened.close();
    }
    const list = await cli('cache', 'list');
    expect(list.code).toBe(0);
    const nodes = list.out
      .split('\n\n')[1]!
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    expect(nodes).toEqual([
      ['CACHE', 'NODE', 'URL', 'HEALTH'],
      ['eu', 'a', 'https://a.eu.example.com', 'up'],
      ['eu', 'b', 'https://b.eu.example.com', 'down (connect ECONNREFUSED)'],
      ['eu', 'c', 'https://c.eu.example.com', 'up (by its heartbeats: main cannot reach it)'],
      ['eu', 'd', 'https://d.eu.example.com', 'down (the edge reports itself unhealthy)'],
      ['eu', 'e', 'https://e.eu.example.com', 'unknown (no shared probe record, no fresh heartbeat)'],
      [''],
    ]);
  });

  it('refuses invalid input with status 2 and an existing name with status 1', async () => {
    expect(await cli('cache', 'add', 'eu')).toMatchObject({ code: 2, err: expect.stringMatching(/needs --host URL/) });
    expect(await cli('cache', 'add', 'eu', '--host', 'eu.example.com')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/host must be the http\(s\) URL/),
    });
    expect(
      await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com', '--network', '10.0.0.0/99'),
    ).toMatchObject({ code: 2, err: expect.stringMatching(/CIDR/) });
    expect(await cli('cache', 'add', 'asia', '--host', 'https://asia.example.com', '--upstream', 'eu')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/upstream "eu" is not a known content cache/),
    });
    expect((await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com')).code).toBe(0);
    expect(await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com')).toMatchObject({
      code: 1,
      err: 'outpost main cache: content cache "eu" already exists\n',
    });
  });
});

describe('outpost main cache remove', () => {
  it('removes a cache, refuses one another cache pulls through, and fails for an unknown one', async () => {
    await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com');
    await cli('cache', 'add', 'asia', '--host', 'https://asia.example.com', '--upstream', 'eu');
    expect(await cli('cache', 'remove', 'eu')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/"eu" is the upstream of asia/),
    });
    expect(await cli('cache', 'remove', 'asia')).toMatchObject({ code: 0, out: 'removed content cache "asia"\n' });
    expect(await cli('cache', 'remove', 'asia')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/"asia" does not exist/),
    });
    expect((await cli('cache', 'list')).out).toMatch(/^NAME.*\neu /);
  });

  it('fails without creating an embedded data directory that does not exist', async () => {
    if (backend.kind === 'embedded') {
      expect(await cli('cache', 'list')).toMatchObject({
        code: 1,
        err: expect.stringMatching(/data directory .* does not exist/),
      });
    } else {
      // On PostgreSQL the installation is the database, which exists: the commands reach it.
      expect(await cli('cache', 'list')).toMatchObject({ code: 0, out: 'no content caches\n' });
    }
    expect(await cli('cache', 'remove', 'eu')).toMatchObject({ code: 1 });
  });

  it('lists nothing on a directory without caches', async () => {
    await cli('cache', 'token', 'create');
    expect(await cli('cache', 'list')).toMatchObject({ code: 0, out: 'no content caches\n' });
  });
});

describe('outpost main cache token create', () => {
  it('prints only the token on stdout and its expiry and use on stderr', async () => {
    const run = await cli('cache', 'token', 'create', '--ttl', '2h');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^outpost-join-[A-Za-z0-9_-]{43}\n$/);
    const expiry = Date.parse(/valid until (\S+),/.exec(run.err)![1]!);
    expect(Math.abs(expiry - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);
    expect(run.err).toMatch(/--join-token/);
    expect(run.err).not.toContain(run.out.trim());
  });

  it('refuses a bad lifetime and other arguments with status 2', async () => {
    for (const args of [
      ['--ttl', 'soon'],
      ['--ttl', '0'],
    ])
      expect(await cli('cache', 'token', 'create', ...args)).toMatchObject({
        code: 2,
        err: expect.stringMatching(/--ttl: expected a duration/),
      });
    expect(await cli('cache', 'token')).toMatchObject({ code: 2, err: expect.stringMatching(/cache token create/) });
    expect(await cli('cache', 'token', 'delete')).toMatchObject({ code: 2 });
  });

  it('creates a token that a main started on the directory accepts for joining', async () => {
    const token = (await cli('cache', 'token', 'create')).out.trim();
    await cli('cache', 'add', 'eu', '--host', 'https://eu.example.com');
    const main = await startTestMain({ auth: true, dataDir: data });
    try {
      const joined = await apiOk<{ name: string; host: string }>(main.url, 'POST', '/content_caches/join', 200, {
        body: { token, name: 'eu', host: 'https://eu2.example.com' },
      });
      expect(joined).toMatchObject({ name: 'eu', host: 'https://eu2.example.com' });
    } finally {
      await main.service.stop();
    }
  });
});

describe('outpost main cache: usage', () => {
  it.each([
    [['cache'], /missing command/],
    [['cache', 'rename', 'eu'], /unknown command "cache rename"/],
    [['cache', 'list', 'extra'], /takes no arguments/],
    [['cache', 'remove'], /exactly one cache name/],
    [['cache', 'list', '--host', 'https://x.example.com'], /only apply to cache add/],
    [['cache', 'add', 'eu', '--host', 'https://x.example.com', '--ttl', '1h'], /--ttl only applies/],
    [['serve', '--network', '10.0.0.0/8'], /only apply to the cache commands/],
  ])('answers %j with status 2 and the reason', async (args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
  });

  it('documents the commands in the usage text', async () => {
    const help = await cli('--help');
    for (const line of [
      'outpost main cache add NAME --host URL',
      'outpost main cache list',
      'outpost main cache remove NAME',
      'outpost main cache token create [--ttl 24h]',
    ])
      expect(help.out).toContain(line);
  });
});
