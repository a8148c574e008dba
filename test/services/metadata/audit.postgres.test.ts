/** The `AuditStore` contract on the real PostgreSQL (a private cluster for this file, a database per test). */
import { afterAll, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { createPostgresAuditStore } from '../../../main/metadata/postgres/audit.js';
import { describeAuditStore } from '../../contract/audit.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate } from '../../helpers/postgres-accounts.js';
import { AUDIT_MIGRATIONS } from '../../../main/metadata/postgres/audit-schema.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeAuditStore('PostgreSQL', async () => {
  const url = await server.createDatabase();
  await migrate(url, AUDIT_MIGRATIONS);
  const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
  return { store: createPostgresAuditStore(db), cleanup: () => db.close() };
});
