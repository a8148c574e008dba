/**
 * The `ScanStore` contract on the real PostgreSQL (a private cluster for this file, a database per
 * test), plus replicas claiming together: every queued scan is handed out exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { SCANS_MIGRATIONS } from '../../../main/metadata/postgres/scans-schema.js';
import { createPostgresScanStore } from '../../../main/metadata/postgres/scans.js';
import { describeScanStore } from '../../contract/scans.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

async function openPools(count: number): Promise<{ url: string; pools: PostgresDatabase[] }> {
  const url = await server.createDatabase();
  const pools = [await PostgresDatabase.connect(url, { maxConnections: 4 })];
  await applyMigrations(pools[0]!, SCANS_MIGRATIONS);
  for (let i = 1; i < count; i++) pools.push(await PostgresDatabase.connect(url, { maxConnections: 4 }));
  return { url, pools };
}

describeScanStore('PostgreSQL', async () => {
  const { url, pools } = await openPools(1);
  return {
    store: createPostgresScanStore(pools[0]!),
    async reopen() {
      const other = await PostgresDatabase.connect(url, { maxConnections: 2 });
      pools.push(other);
      return createPostgresScanStore(other);
    },
    cleanup: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
});

describe('scan workers on three replicas claiming at once (PostgreSQL)', () => {
  it('hands each of 60 queued scans to exactly one worker', async () => {
    const { pools } = await openPools(3);
    try {
      const stores = pools.map(createPostgresScanStore);
      for (let n = 0; n < 60; n++) {
        const manifestDigest = `sha256:${String(n).padStart(64, '0')}`;
        await stores[0]!.enqueue({ manifestDigest, reason: 'push', layers: [], at: 1_000 + n });
      }
      const claimed = await Promise.all(
        stores.map(async (store, i) => {
          const mine: string[] = [];
          for (let c = await store.claim(`w${i}`, 2_000); c; c = await store.claim(`w${i}`, 2_000))
            mine.push(c.scan.manifestDigest);
          return mine;
        }),
      );
      const all = claimed.flat();
      expect(all).toHaveLength(60);
      expect(new Set(all).size).toBe(60);
      expect(await stores[1]!.counts()).toEqual({ queued: 0, scanning: 60, done: 0, failed: 0 });
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});
