/**
 * The ThrottleStore contract on PostgreSQL (a private cluster, a fresh database per test), plus
 * the throttle itself on two replicas: failures sent through two connection pools at once are
 * counted together, and the lockout they reach holds on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../../main/auth/login-throttle.js';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { THROTTLE_MIGRATIONS } from '../../../main/metadata/postgres/throttle-schema.js';
import { createPostgresThrottleStore } from '../../../main/metadata/postgres/throttle.js';
import { describeThrottleStore } from '../../contract/throttle.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

async function openDatabase() {
  const url = await server.createDatabase();
  const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
  await applyMigrations(db, THROTTLE_MIGRATIONS);
  const others: PostgresDatabase[] = [];
  return {
    db,
    async openAgain() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 4 });
      others.push(other);
      return other;
    },
    cleanup: () => Promise.all([db, ...others].map((d) => d.close())).then(() => undefined),
  };
}

describeThrottleStore('PostgreSQL', async () => {
  const { db, openAgain, cleanup } = await openDatabase();
  return {
    store: createPostgresThrottleStore(db),
    openAgain: async () => createPostgresThrottleStore(await openAgain()),
    cleanup,
  };
});

describe('the login throttle on two replicas sharing PostgreSQL', () => {
  it('counts the failures of both together and refuses the pair on both once locked', async () => {
    const { db, openAgain, cleanup } = await openDatabase();
    try {
      const clock = Date.UTC(2030, 0, 1);
      const options = { now: () => clock, lockAfter: 10, slowAfter: 100, slowAfterPerAccount: 100 };
      const replica1 = createLoginThrottle({ store: createPostgresThrottleStore(db), ...options });
      const replica2 = createLoginThrottle({ store: createPostgresThrottleStore(await openAgain()), ...options });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? replica2 : replica1).failed('alice', '192.0.2.7')),
      );
      for (const replica of [replica1, replica2]) {
        await expect(replica.before('alice', '192.0.2.7')).rejects.toMatchObject({ code: 'TOOMANYREQUESTS' });
        const other = await replica.before('alice', '192.0.2.8');
        other.abandoned();
      }
    } finally {
      await cleanup();
    }
  });
});
