/**
 * A private PostgreSQL cluster for the services suites (`npm run test:services`): `initdb` and
 * `pg_ctl` from Debian's postgresql package, run as the `postgres` user in a temporary
 * directory, listening on a free loopback port with password authentication. Nothing of the
 * machine's own PostgreSQL is used or changed. Without the package the suite fails with the
 * reason, never skips.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** Superuser URL of the cluster's `postgres` database (with the password). */
  readonly adminUrl: string;
  readonly port: number;
  /** A new, empty database; its URL carries the password. */
  createDatabase(): Promise<string>;
  /** Stops the server, keeping its data (to test what happens while it is down). */
  stopServer(): void;
  /** Starts it again on the same port. */
  startServer(): void;
  /** Stops it and removes everything it wrote. */
  remove(): Promise<void>;
}

const USER = 'outpost';

function findBin(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const path = join(root, version, 'bin', name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} not found: install PostgreSQL (apt-get install postgresql) to run npm run test:services`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a PostgreSQL program as the `postgres` user (initdb and the server refuse to run as root). */
function runAsPostgres(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(command, argv, { stdio: 'pipe', timeout: 60_000 });
}

export async function startPostgres(): Promise<TestPostgres> {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  const dir = await mkdtemp(join(tmpdir(), 'outpost-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password, { mode: 0o600 });
  if (process.getuid?.() === 0) chownSync(pwFile, postgresIds().uid, postgresIds().gid);
  runAsPostgres(initdb, ['-D', dataDir, '-U', USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8']);
  // fsync off: the tests check outpost's behaviour, not the machine's disk; the cluster is thrown away.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const startServer = () =>
    runAsPostgres(pgCtl, ['-D', dataDir, '-l', join(dir, 'log'), '-o', serverOptions, '-w', 'start']);
  const stopServer = () => runAsPostgres(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  startServer();
  const adminUrl = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    adminUrl,
    port,
    createDatabase: () => createDatabase(adminUrl),
    stopServer() {
      stopServer();
      running = false;
    },
    startServer() {
      startServer();
      running = true;
    },
    async remove() {
      if (running) stopServer();
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const out = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: out('-u'), gid: out('-g') };
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the cluster of `adminUrl`; its URL carries the same credentials. */
export async function createDatabase(adminUrl: string): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** Drops a database made by `createDatabase`, ending any connection still open to it. */
export async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^t_[0-9a-f]{12}$/.test(name)) throw new Error(`not a test database: ${name}`);
  await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
