/**
 * The PostgreSQL pruning owner (main/metadata/postgres/pruning.ts): the contract suite on a
 * private PostgreSQL cluster, with the registry and pruning migrations applied in main's order
 * (the pull records' foreign key to the tags is what drops them with their tag).
 */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { PRUNING_MIGRATIONS } from '../../../main/metadata/postgres/pruning-schema.js';
import { createPostgresPruningStore } from '../../../main/metadata/postgres/pruning.js';
import { REGISTRY_MIGRATIONS } from '../../../main/metadata/postgres/registry-schema.js';
import { createPostgresRegistryMetadata } from '../../../main/metadata/postgres/registry.js';
import { describePruningStore } from '../../contract/pruning-store.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describePruningStore('PostgreSQL', async () => {
  const db = await PostgresDatabase.connect(await server.createDatabase(), { maxConnections: 4 });
  await applyMigrations(db, [...REGISTRY_MIGRATIONS, ...PRUNING_MIGRATIONS]);
  return {
    registry: createPostgresRegistryMetadata(db),
    pruning: createPostgresPruningStore(db),
    cleanup: () => db.close(),
  };
});
