/**
 * The reads replicas answer from memory (main/cluster/shared-memory.ts), on two replicas of
 * one PostgreSQL: a change made through one replica reaches the other's memory through
 * LISTEN/NOTIFY, without waiting for the copies to expire.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withSharedMemory } from '../../../main/cluster/shared-memory.js';
import type { Metadata } from '../../../main/metadata/metadata.js';
import { openPostgresMetadata } from '../../../main/metadata/postgres/open.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: TestPostgres;
let temp: TempDir;
let kek: string;
beforeAll(async () => {
  server = await startPostgres();
  temp = await createTempDir('outpost-remembered-');
  kek = join(temp.path, 'kek');
  await writeFile(kek, randomBytes(32).toString('base64'), { mode: 0o600 });
});
afterAll(async () => {
  await server?.remove();
  await temp?.remove();
});

const opened: Metadata[] = [];
afterEach(async () => {
  for (const metadata of opened.splice(0)) await metadata.close();
});

const quiet = createLogger({ level: 'error', write: () => {} });

/** Two replicas' metadata, each with its memory, over one fresh database. */
async function twoReplicas(): Promise<[Metadata, Metadata]> {
  const url = await server.createDatabase();
  const open = async () => {
    const metadata = await openPostgresMetadata({ url, secretKeyFile: kek, logger: quiet });
    opened.push(metadata);
    return withSharedMemory(metadata);
  };
  return [await open(), await open()];
}

describe('what replicas remember, on PostgreSQL', () => {
  it('shows a settings change made on one replica on the other', async () => {
    const [one, two] = await twoReplicas();
    expect(await two.settings.getMetaSettings()).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: true,
      scanOnPush: false,
    });
    await one.settings.updateMetaSettings({ anonymousPull: false });
    await waitFor(async () => !(await two.settings.getMetaSettings()).anonymousPull, 'the other replica to see it');
  });

  it("shows a user's new cache, a new membership and a deactivation made on one replica on the other", async () => {
    const [one, two] = await twoReplicas();
    const bob = { name: 'bob', passwordHash: 'h', isAdmin: false, isActive: true, createdAt: 1, settings: {} };
    await one.accounts.createUser(bob);
    await one.accounts.createOrg({ name: 'acme', createdAt: 1, settings: { defaultContentCache: 'eu' } });
    expect(await two.accounts.cachePreferences('bob')).toEqual({ organizations: [] });
    expect(await two.accounts.getUser('bob')).toMatchObject({ isActive: true });
    await one.accounts.updateSettings('bob', { defaultContentCache: 'asia' });
    await one.accounts.setOrgMember('acme', 'bob', false);
    const seen = await waitFor(async () => {
      const preferences = await two.accounts.cachePreferences('bob');
      return preferences.organizations.length === 1 && preferences;
    }, 'the other replica to see it');
    expect(seen).toEqual({ user: 'asia', organizations: [{ name: 'acme', cache: 'eu' }] });
    await one.accounts.updateUser('bob', { isActive: false });
    await waitFor(async () => (await two.accounts.getUser('bob'))?.isActive === false, 'the deactivation to reach it');
  });

  it('shows a content cache added on one replica in the list the other redirects with', async () => {
    const [one, two] = await twoReplicas();
    expect(await two.caches.listCaches()).toEqual([]);
    await one.caches.createCache('eu', { host: 'http://127.0.0.1:1', networks: [], createdAt: 1 });
    await waitFor(async () => (await two.caches.listCaches()).length === 1, 'the other replica to list it');
  });

  it("tells the writing replica's own subscribers by the time its write returns, and the others soon after", async () => {
    const [one, two] = await twoReplicas();
    const heard: Record<string, string[]> = { one: [], two: [] };
    one.coordinator.subscribe((topic) => heard.one!.push(topic));
    two.coordinator.subscribe((topic) => heard.two!.push(topic));
    await one.caches.createCache('eu', { host: 'http://127.0.0.1:1', networks: [], createdAt: 1 });
    // Not only when PostgreSQL's notification comes back: a copy kept above the owners (the
    // redirect decision's) must not answer the writer's next request from before its write.
    expect(heard.one).toContain('caches');
    await waitFor(() => heard.two!.includes('caches'), 'the other replica to hear it', 5_000);
  });
});
