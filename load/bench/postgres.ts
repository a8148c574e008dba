/**
 * @module A private PostgreSQL cluster for a scenario (the logic of test/helpers/postgres.ts,
 * which load/ may not import): `initdb` and `pg_ctl` from Debian's postgresql package, run as
 * the `postgres` user when the harness is root (they refuse root), in a directory of the run,
 * on a free loopback port with password authentication. The machine's own PostgreSQL is
 * neither used nor changed. Stopped by the run's `Cleanup`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Cleanup } from './cleanup.js';
import { freePort, type Requirement } from './processes.js';

export const POSTGRES: Requirement = {
  binary: 'initdb',
  debianPackage: 'postgresql',
  find: () => findPostgresBin('initdb'),
};

const USER = 'outpost';
const run = promisify(execFile);

export interface BenchPostgres {
  /** Superuser URL of the `postgres` database (password included). */
  readonly adminUrl: string;
  /** A new, empty database; its URL carries the password. */
  createDatabase(): Promise<string>;
  /**
   * Transactions (each statement outside one counts as one) the database has seen, from
   * pg_stat_database. Sessions publish their counts at most every second while busy and within
   * `STATS_DELAY_MS` once idle: wait that long after the load before reading.
   */
  transactions(databaseUrl: string): Promise<number>;
  stop(): Promise<void>;
}

/** PostgreSQL 15's idle flush interval of cumulative statistics (10 s), with a margin. */
export const STATS_DELAY_MS = 11_500;

/** `name` on PATH or in the newest /usr/lib/postgresql/<version>/bin (Debian keeps them there). */
export function findPostgresBin(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return join(dir, name);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => join(root, v, 'bin', name)).find((path) => existsSync(path));
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/**
 * The cluster lives in a directory of its own under the system's temp dir, not in the run's: the
 * `postgres` user must reach it, and the run's directory is private to the harness's user.
 */
export async function startPostgres(cleanup: Cleanup): Promise<BenchPostgres> {
  const initdb = findPostgresBin('initdb');
  const pgCtl = findPostgresBin('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('initdb/pg_ctl not found: install PostgreSQL (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? await postgresIds() : undefined;
  const asPostgres = (bin: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', bin, ...args], { timeout: 60_000 })
      : run(bin, args, { timeout: 60_000 });
  const dir = await mkdtemp(join(tmpdir(), 'outpost-bench-pg-'));
  cleanup.defer('remove the PostgreSQL directory', () => rm(dir, { recursive: true, force: true }));
  if (ids) await chown(dir, ids.uid, ids.gid);
  await chmod(dir, 0o700);
  const dataDir = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, password, { mode: 0o600 });
  if (ids) await chown(pwFile, ids.uid, ids.gid);
  await asPostgres(initdb, ['-D', dataDir, '-U', USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8']);
  const port = await freePort();
  // Durable settings as shipped (fsync on): the figures are those of a real deployment's database.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  await asPostgres(pgCtl, ['-D', dataDir, '-l', join(dir, 'log'), '-o', serverOptions, '-w', 'start']);
  const stop = cleanup.defer('stop PostgreSQL', async () => {
    await asPostgres(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  });
  const adminUrl = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  const asAdmin = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl,
    async transactions(databaseUrl) {
      const [row] = await asAdmin<{ n: string }>(
        'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
        [new URL(databaseUrl).pathname.slice(1)],
      );
      return Number(row?.n ?? 0);
    },
    async createDatabase() {
      const name = `bench_${randomBytes(6).toString('hex')}`;
      await asAdmin(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.href;
    },
    stop,
  };
}
