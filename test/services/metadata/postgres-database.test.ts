import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase, isConnectionFailure, type Queryable } from '../../../main/metadata/postgres/database.js';
import { applyMigrations, SchemaTooNewError } from '../../../main/metadata/postgres/migrations.js';
import { BackendUnavailableError } from '../../../src/store/errors.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

async function connect(url?: string): Promise<PostgresDatabase> {
  return PostgresDatabase.connect(url ?? (await server.createDatabase()), { maxConnections: 4 });
}

const tables = async (db: Queryable) =>
  (await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    .map((r) => r.tablename)
    .sort();

describe('the PostgreSQL connection', () => {
  it('keeps the password out of the description used in logs', async () => {
    const url = await server.createDatabase();
    const password = new URL(url).password;
    const db = await connect(url);
    try {
      expect(db.description).not.toContain(password);
    } finally {
      await db.close();
    }
  });

  it('refuses to open against a port where no server listens, as an unavailable database', async () => {
    const url = new URL(await server.createDatabase());
    url.port = '1';
    const error = await PostgresDatabase.connect(url.toString(), { connectTimeoutMs: 2_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(String(error.message)).not.toContain(url.password);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const db = await connect();
    try {
      await db.query('CREATE TABLE t (n int PRIMARY KEY)');
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
      });
      const failure = await db
        .transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (2)');
          throw new Error('changed my mind');
        })
        .catch((e) => e);
      expect(failure.message).toBe('changed my mind');
      expect(await db.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('runs a serializable transaction again after a serialization failure, so that both writers succeed', async () => {
    const db = await connect();
    try {
      await db.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
      await db.query('INSERT INTO counter VALUES (1, 0)');
      // Read-modify-write from many concurrent transactions: without the retry some would fail
      // with 40001; with it every increment lands exactly once.
      const increments = 12;
      await Promise.all(
        Array.from({ length: increments }, () =>
          db.transaction(
            async (tx) => {
              const [row] = await tx.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
              await tx.query('UPDATE counter SET n = $1 WHERE id = 1', [row!.n + 1]);
            },
            { isolation: 'serializable', retries: 50 },
          ),
        ),
      );
      expect(await db.query('SELECT n FROM counter')).toEqual([{ n: increments }]);
    } finally {
      await db.close();
    }
  });
});

describe('schema migrations', () => {
  const first = [
    { id: 'demo-001-items', sql: 'CREATE TABLE items (id text PRIMARY KEY)' },
    { id: 'demo-002-notes', sql: 'CREATE TABLE notes (id text PRIMARY KEY); CREATE INDEX ON notes (id)' },
  ];

  it('applies pending migrations once, in order, and nothing on the next start', async () => {
    const db = await connect();
    try {
      expect(await applyMigrations(db, first)).toEqual(['demo-001-items', 'demo-002-notes']);
      expect(await applyMigrations(db, first)).toEqual([]);
      expect(await tables(db)).toEqual(['items', 'notes', 'outpost_schema_migrations']);
    } finally {
      await db.close();
    }
  });

  it('is safe when several replicas start at once: each migration is applied exactly once', async () => {
    const url = await server.createDatabase();
    const replicas = await Promise.all([connect(url), connect(url), connect(url), connect(url)]);
    try {
      const applied = await Promise.all(replicas.map((db) => applyMigrations(db, first)));
      expect(applied.flat().sort()).toEqual(['demo-001-items', 'demo-002-notes']);
      expect(await tables(replicas[0]!)).toEqual(['items', 'notes', 'outpost_schema_migrations']);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('leaves the schema untouched when a migration fails (all or nothing)', async () => {
    const db = await connect();
    try {
      const broken = [...first, { id: 'demo-003-broken', sql: 'CREATE TABLE oops (id nosuchtype)' }];
      await expect(applyMigrations(db, broken)).rejects.toThrow(/nosuchtype/);
      expect(await tables(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('refuses a database that a newer version migrated', async () => {
    const db = await connect();
    try {
      await applyMigrations(db, first);
      const error = await applyMigrations(db, first.slice(0, 1)).catch((e) => e);
      expect(error).toBeInstanceOf(SchemaTooNewError);
      expect(error.message).toContain('demo-002-notes');
    } finally {
      await db.close();
    }
  });

  it('refuses a list with a malformed or repeated id before touching the database', async () => {
    const db = await connect();
    try {
      await expect(applyMigrations(db, [{ id: 'Bad Id', sql: 'SELECT 1' }])).rejects.toThrow(/Bad Id/);
      await expect(applyMigrations(db, [first[0]!, first[0]!])).rejects.toThrow(/twice/);
      expect(await tables(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('a restarted PostgreSQL', () => {
  it('answers requests with "unavailable" while it is down, and serves again once it is back, without a new pool', async () => {
    const db = await connect();
    try {
      await db.query('CREATE TABLE t (n int)');
      server.stopServer();
      const down = await db.query('SELECT 1').catch((e) => e);
      expect(down).toBeInstanceOf(BackendUnavailableError);
      const downTx = await db.transaction((tx) => tx.query('INSERT INTO t VALUES (1)')).catch((e) => e);
      expect(downTx).toBeInstanceOf(BackendUnavailableError);
      server.startServer();
      expect(await db.query('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it('fails a transaction whose connection the server drops between two statements, and serves on', async () => {
    // The server ending a connection that is checked out but idle (between two statements of a
    // transaction) is an 'error' event on that client: with no listener it crashed the process.
    const db = await connect();
    const admin = await connect(server.adminUrl);
    try {
      const failure = await db
        .transaction(async (tx) => {
          const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await admin.query('SELECT pg_terminate_backend($1)', [row!.pid]);
          await waitFor(
            async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [row!.pid])).length === 0,
            'the backend to end',
          );
          // Lets the server's goodbye reach the client before the next statement.
          await sleep(200);
          await tx.query('SELECT 1');
        })
        .catch((e) => e);
      expect(failure).toBeInstanceOf(BackendUnavailableError);
      expect(await db.query('SELECT 1 AS n')).toEqual([{ n: 1 }]);
    } finally {
      await admin.close();
      await db.close();
    }
  });

  it('tells connection failures from query errors', async () => {
    const db = await connect();
    try {
      const syntax = await db.query('SELEKT 1').catch((e) => e);
      expect(isConnectionFailure(syntax)).toBe(false);
      expect(syntax).not.toBeInstanceOf(BackendUnavailableError);
    } finally {
      await db.close();
    }
  });
});
