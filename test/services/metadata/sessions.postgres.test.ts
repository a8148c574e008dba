/**
 * The SessionStore contract on PostgreSQL (a private cluster, a fresh database per test), plus
 * what only this backend shows: the secrets are not in the tables (the domain stores hashes,
 * and the store keeps what it is given under them).
 */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { SESSIONS_MIGRATIONS } from '../../../main/metadata/postgres/sessions-schema.js';
import { createPostgresSessionStore } from '../../../main/metadata/postgres/sessions.js';
import { describeSessionStore } from '../../contract/sessions.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeSessionStore('PostgreSQL', async () => {
  const db = await PostgresDatabase.connect(await server.createDatabase(), { maxConnections: 4 });
  await applyMigrations(db, SESSIONS_MIGRATIONS);
  return { store: createPostgresSessionStore(db), cleanup: () => db.close() };
});
