/**
 * The CacheStore contract on PostgreSQL (a private cluster, a fresh database per test), plus
 * joins racing on two replicas: two edges presenting one join token under one name at once,
 * each through its own connection pool, are both accepted and leave one cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContentCaches } from '../../../main/caches/content-caches.js';
import { createEdgeAuth } from '../../../main/caches/edge-auth.js';
import { createCacheJoin } from '../../../main/caches/join-cache.js';
import { createJoinTokens } from '../../../main/caches/join-tokens.js';
import { CACHES_MIGRATIONS } from '../../../main/metadata/postgres/caches-schema.js';
import { createPostgresCacheStore } from '../../../main/metadata/postgres/caches.js';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { silentLogger } from '../../../src/log/logger.js';
import { describeCacheStore } from '../../contract/caches.js';
import { describeCacheUsageSamples } from '../../contract/cache-usage-samples.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

async function openDatabase() {
  const url = await server.createDatabase();
  const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
  await applyMigrations(db, CACHES_MIGRATIONS);
  const others: PostgresDatabase[] = [];
  return {
    db,
    async openAgain() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 4 });
      others.push(other);
      return other;
    },
    async cleanup() {
      await Promise.all([db, ...others].map((d) => d.close()));
    },
  };
}

async function openFixture() {
  const { db, openAgain, cleanup } = await openDatabase();
  return {
    store: createPostgresCacheStore(db),
    openAgain: async () => createPostgresCacheStore(await openAgain()),
    cleanup,
  };
}

describeCacheStore('PostgreSQL', openFixture);
describeCacheUsageSamples('PostgreSQL', openFixture);

describe('edges joining through two replicas at once (PostgreSQL)', () => {
  it('accepts both joins of one token under one name, leaving one cache at the host of the later', async () => {
    const { db, openAgain, cleanup } = await openDatabase();
    try {
      const replicas = [createPostgresCacheStore(db), createPostgresCacheStore(await openAgain())];
      const { token } = await createJoinTokens(replicas[0]!).create(60_000);
      for (let round = 0; round < 5; round++) {
        const name = `eu-${round}`;
        const results = await Promise.all(
          replicas.map((store, i) =>
            createCacheJoin({
              caches: createContentCaches(store),
              authenticate: createEdgeAuth(createContentCaches(store), createJoinTokens(store)),
              mainUrl: 'https://registry.example.com',
              logger: silentLogger,
            })({ token, name, host: `https://edge-${i}.example.com` }),
          ),
        );
        expect(results.map((r) => r.created).sort()).toEqual([false, true]);
        const later = results.find((r) => !r.created)!.cache.host;
        expect((await replicas[0]!.listCaches()).filter((c) => c.name === name)).toEqual([
          expect.objectContaining({ name, host: later }),
        ]);
      }
    } finally {
      await cleanup();
    }
  });
});
