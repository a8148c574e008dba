/**
 * The in-memory copies of settings and cache preferences on two replicas of one PostgreSQL:
 * a change made through one replica reaches the other's copy through LISTEN/NOTIFY, without
 * waiting for the copies to expire (they are given an hour here).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { CLUSTER_MIGRATIONS } from '../../../main/metadata/postgres/cluster-schema.js';
import { createPostgresCoordinator } from '../../../main/metadata/postgres/cluster.js';
import { createPostgresSettingsStore } from '../../../main/metadata/postgres/settings.js';
import type { ClusterCoordinator } from '../../../main/metadata/cluster.js';
import { rememberCachePreferences, rememberMetaSettings } from '../../../main/metadata/remembered-reads.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate, postgresAccountStore } from '../../helpers/postgres-accounts.js';
import { waitFor } from '../../helpers/wait-for.js';

const HOUR = 3_600_000;

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describe('remembered reads on two replicas', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  let url: string;

  beforeEach(async () => {
    url = await server.createDatabase();
    await migrate(url, CLUSTER_MIGRATIONS);
  });
  afterEach(async () => {
    for (const resource of opened.reverse()) await resource.close();
    opened.length = 0;
  });

  async function replica() {
    const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
    const coordinator: ClusterCoordinator = await createPostgresCoordinator(db);
    opened.push(db, coordinator);
    return {
      accounts: rememberCachePreferences(postgresAccountStore(db), coordinator, { maxAgeMs: HOUR }).store,
      settings: rememberMetaSettings(createPostgresSettingsStore(db), coordinator, { maxAgeMs: HOUR }).store,
    };
  }

  it('shows a settings change made on one replica on the other', async () => {
    const [one, two] = [await replica(), await replica()];
    expect(await two.settings.getMetaSettings()).toEqual({ createRepositoryOnPush: true, anonymousPull: true });
    await one.settings.updateMetaSettings({ anonymousPull: false });
    await waitFor(async () => !(await two.settings.getMetaSettings()).anonymousPull, 'the other replica to see it');
  });

  it("shows a user's new cache and a new membership made on one replica on the other", async () => {
    const [one, two] = [await replica(), await replica()];
    await one.accounts.createUser({
      name: 'bob',
      passwordHash: 'h',
      isAdmin: false,
      isActive: true,
      createdAt: 1,
      settings: {},
    });
    await one.accounts.createOrg({ name: 'acme', createdAt: 1, settings: { defaultContentCache: 'eu' } });
    expect(await two.accounts.cachePreferences('bob')).toEqual({ organizations: [] });
    await one.accounts.updateSettings('bob', { defaultContentCache: 'asia' });
    await one.accounts.setOrgMember('acme', 'bob', false);
    const seen = await waitFor(async () => {
      const preferences = await two.accounts.cachePreferences('bob');
      return preferences.organizations.length === 1 && preferences;
    }, 'the other replica to see it');
    expect(seen).toEqual({ user: 'asia', organizations: [{ name: 'acme', cache: 'eu' }] });
  });
});
