/** The `AccountStore` contract on the real PostgreSQL (a private cluster for this file, a database per test). */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { describeAccountStore } from '../../contract/accounts.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate, postgresAccountStore } from '../../helpers/postgres-accounts.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeAccountStore('PostgreSQL', async () => {
  const url = await server.createDatabase();
  await migrate(url);
  const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
  return {
    store: postgresAccountStore(db),
    addRepository: async (name) => void (await db.query('INSERT INTO standin_repositories (name) VALUES ($1)', [name])),
    async addCredentials(user) {
      await db.query('INSERT INTO standin_credentials (user_name) VALUES ($1), ($1)', [user]);
    },
    async credentialsOf(user) {
      return (await db.query('SELECT id FROM standin_credentials WHERE user_name = $1', [user])).length;
    },
    cleanup: () => db.close(),
  };
});
