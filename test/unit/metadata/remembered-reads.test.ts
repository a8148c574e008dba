/**
 * Copies of the request-path account reads (main/metadata/remembered-reads.ts): read once, and
 * dropped by a write here, by a topic from another replica, by expiry, and never refilled by a
 * read that a drop overtook. Over the real LMDB stores and the single-process coordinator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbAccountStore } from '../../../main/metadata/lmdb/accounts.js';
import { createLmdbSettingsStore } from '../../../main/metadata/lmdb/settings.js';
import { createSingleProcessCoordinator } from '../../../main/metadata/lmdb/cluster.js';
import type { AccountStore } from '../../../main/metadata/accounts.js';
import type { ClusterCoordinator } from '../../../main/metadata/cluster.js';
import {
  ACCOUNTS_TOPIC,
  rememberCachePreferences,
  rememberMetaSettings,
  SETTINGS_TOPIC,
} from '../../../main/metadata/remembered-reads.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let env: MainEnvironment;
let coordinator: ClusterCoordinator;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  temp = await createTempDir('outpost-remembered-');
  env = openMainEnvironment(join(temp.path, 'db'));
  coordinator = createSingleProcessCoordinator();
  clock = 1_000;
});
afterEach(async () => {
  await coordinator.close();
  await env.close();
  await temp.remove();
});

/** The LMDB store, counting the reads that reach it. */
function counted(): { store: AccountStore; reads: () => number } {
  const store = createLmdbAccountStore(env.root);
  let reads = 0;
  return {
    store: {
      ...store,
      cachePreferences: (user) => {
        reads++;
        return store.cachePreferences(user);
      },
    },
    reads: () => reads,
  };
}

async function seed(store: AccountStore): Promise<void> {
  await store.createUser({
    name: 'bob',
    passwordHash: 'h',
    isAdmin: false,
    isActive: true,
    createdAt: 1,
    settings: {},
  });
  await store.createOrg({ name: 'acme', createdAt: 1, settings: { defaultContentCache: 'eu' } });
}

describe('rememberCachePreferences', () => {
  it('reads a user’s preferences once, and again after a write through it changes them', async () => {
    const base = counted();
    const { store } = rememberCachePreferences(base.store, coordinator, { now });
    await seed(store);
    expect(await store.cachePreferences('bob')).toEqual({ organizations: [] });
    expect(await store.cachePreferences('bob')).toEqual({ organizations: [] });
    expect(base.reads()).toBe(1);
    await store.setOrgMember('acme', 'bob', false);
    expect(await store.cachePreferences('bob')).toEqual({ organizations: [{ name: 'acme', cache: 'eu' }] });
    await store.updateSettings('bob', { defaultContentCache: 'asia' });
    expect(await store.cachePreferences('bob')).toMatchObject({ user: 'asia' });
    expect(base.reads()).toBe(3);
  });

  it('drops its copies when another replica publishes a change, or after a gap', async () => {
    const base = counted();
    const { store } = rememberCachePreferences(base.store, coordinator, { now });
    await seed(store);
    await store.cachePreferences('bob');
    // Another replica changed the data behind this one's back, then told everyone.
    await createLmdbAccountStore(env.root).updateSettings('bob', { defaultContentCache: 'us' });
    expect(await store.cachePreferences('bob')).toEqual({ organizations: [] });
    await coordinator.publish(ACCOUNTS_TOPIC);
    expect(await store.cachePreferences('bob')).toEqual({ user: 'us', organizations: [] });
    await createLmdbAccountStore(env.root).updateSettings('bob', { defaultContentCache: 'eu' });
    await coordinator.publish('*');
    expect(await store.cachePreferences('bob')).toEqual({ user: 'eu', organizations: [] });
    await coordinator.publish(SETTINGS_TOPIC);
    expect(base.reads()).toBe(3);
  });

  it('reads again once a copy is older than maxAgeMs', async () => {
    const base = counted();
    const { store } = rememberCachePreferences(base.store, coordinator, { now, maxAgeMs: 5_000 });
    await seed(store);
    await store.cachePreferences('bob');
    clock += 4_999;
    await store.cachePreferences('bob');
    expect(base.reads()).toBe(1);
    clock += 1;
    await store.cachePreferences('bob');
    expect(base.reads()).toBe(2);
  });

  it('does not keep a read that a drop overtook', async () => {
    const lmdb = createLmdbAccountStore(env.root);
    await seed(lmdb);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const slow: AccountStore = {
      ...lmdb,
      async cachePreferences(user) {
        reads++;
        const value = await lmdb.cachePreferences(user);
        if (reads === 1) await gate;
        return value;
      },
    };
    const { store } = rememberCachePreferences(slow, coordinator, { now });
    const stale = store.cachePreferences('bob');
    await lmdb.updateSettings('bob', { defaultContentCache: 'us' });
    await coordinator.publish(ACCOUNTS_TOPIC);
    release();
    expect(await stale).toEqual({ organizations: [] });
    expect(await store.cachePreferences('bob')).toEqual({ user: 'us', organizations: [] });
    expect(reads).toBe(2);
  });

  it('stops listening when stopped', async () => {
    const base = counted();
    const { store, stop } = rememberCachePreferences(base.store, coordinator, { now });
    await seed(store);
    await store.cachePreferences('bob');
    stop();
    await coordinator.publish(ACCOUNTS_TOPIC);
    await store.cachePreferences('bob');
    expect(base.reads()).toBe(1);
  });
});

describe('rememberMetaSettings', () => {
  it('reads the settings once, again after a change here or elsewhere, and hands out copies', async () => {
    const lmdb = createLmdbSettingsStore(env.root);
    let reads = 0;
    const { store } = rememberMetaSettings(
      {
        ...lmdb,
        getMetaSettings: () => {
          reads++;
          return lmdb.getMetaSettings();
        },
      },
      coordinator,
      { now },
    );
    const first = await store.getMetaSettings();
    first.anonymousPull = false;
    expect(await store.getMetaSettings()).toEqual({ createRepositoryOnPush: true, anonymousPull: true });
    expect(reads).toBe(1);
    expect(await store.updateMetaSettings({ anonymousPull: false })).toMatchObject({ anonymousPull: false });
    expect(await store.getMetaSettings()).toEqual({ createRepositoryOnPush: true, anonymousPull: false });
    await lmdb.updateMetaSettings({ createRepositoryOnPush: false });
    await coordinator.publish(SETTINGS_TOPIC);
    expect(await store.getMetaSettings()).toEqual({ createRepositoryOnPush: false, anonymousPull: false });
    expect(reads).toBe(3);
  });
});
