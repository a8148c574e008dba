/** The `SettingsStore` contract on the real PostgreSQL (a private cluster for this file, a database per test). */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { createPostgresSettingsStore } from '../../../main/metadata/postgres/settings.js';
import { describeSettingsStore } from '../../contract/settings.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate } from '../../helpers/postgres-accounts.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeSettingsStore('PostgreSQL', async () => {
  const url = await server.createDatabase();
  await migrate(url);
  const pools: PostgresDatabase[] = [await PostgresDatabase.connect(url, { maxConnections: 4 })];
  return {
    store: createPostgresSettingsStore(pools[0]!),
    async reopen() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 2 });
      pools.push(other);
      return createPostgresSettingsStore(other);
    },
    cleanup: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
});
