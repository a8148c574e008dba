/** The `JobStore` contract on the real PostgreSQL (a private cluster for this file, a database per test). */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { JOBS_MIGRATIONS } from '../../../main/metadata/postgres/jobs-schema.js';
import { createPostgresJobStore } from '../../../main/metadata/postgres/jobs.js';
import { describeJobStore } from '../../contract/jobs.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate } from '../../helpers/postgres-accounts.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeJobStore('PostgreSQL', async () => {
  const url = await server.createDatabase();
  await migrate(url, JOBS_MIGRATIONS);
  const pools: PostgresDatabase[] = [await PostgresDatabase.connect(url, { maxConnections: 4 })];
  return {
    store: createPostgresJobStore(pools[0]!),
    async reopen() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 2 });
      pools.push(other);
      return createPostgresJobStore(other);
    },
    cleanup: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
});
