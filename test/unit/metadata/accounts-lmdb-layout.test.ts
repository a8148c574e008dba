/**
 * Existing data directories keep working: records written under the layout main/accounts/
 * accounts-db.ts used (raw sub-databases, msgpack values without names, keys joined by
 * src/store/lmdb.ts `key()`) read back through the LMDB owners, and what the owners write
 * reads back the old way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbAccountStore } from '../../../main/metadata/lmdb/accounts.js';
import { createLmdbSettingsStore } from '../../../main/metadata/lmdb/settings.js';
import { key, type RootDatabase } from '../../../src/store/lmdb.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let env: MainEnvironment;

beforeEach(async () => {
  temp = await createTempDir('outpost-accounts-layout-');
  env = openMainEnvironment(join(temp.path, 'db'));
});
afterEach(async () => {
  await env.close();
  await temp.remove();
});

const sub = (root: RootDatabase, name: string) => root.openDB<unknown, string>({ name, encoding: 'msgpack' });

describe('the LMDB accounts layout', () => {
  it('reads what the earlier code wrote, including a user from before ids existed', async () => {
    const root = env.root;
    await sub(root, 'users').put('alice', {
      passwordHash: 'h',
      isAdmin: false,
      isActive: true,
      createdAt: 5,
      settings: {},
    });
    await sub(root, 'orgs').put('acme', { createdAt: 6, settings: { defaultContentCache: 'eu' }, fullName: 'Acme' });
    await sub(root, 'orgMembers').put(key('acme', 'alice'), { isAdmin: true });
    await sub(root, 'teams').put(key('acme', 'devs'), { createdAt: 7, description: 'd' });
    await sub(root, 'teamMembers').put(key('acme', 'devs', 'alice'), true);
    await sub(root, 'teamAccess').put(key('acme', 'devs', 'acme/app'), { accessLevel: 'read-write' });
    await sub(root, 'settings').put('meta', { createRepositoryOnPush: false, anonymousPull: true });

    const store = createLmdbAccountStore(root);
    expect(await store.getUser('alice')).toEqual({
      name: 'alice',
      passwordHash: 'h',
      isAdmin: false,
      isActive: true,
      createdAt: 5,
      settings: {},
    });
    expect(await store.getOrg('acme')).toEqual({
      name: 'acme',
      createdAt: 6,
      settings: { defaultContentCache: 'eu' },
      fullName: 'Acme',
    });
    expect(await store.listTeams('acme')).toEqual([{ name: 'devs', createdAt: 7, description: 'd' }]);
    expect(await store.listTeamMembers('acme', 'devs')).toEqual(['alice']);
    expect(await store.namespaceAccess('acme', 'alice', 'acme/app')).toEqual({
      isOrg: true,
      orgAdmin: true,
      teamLevels: ['read-write'],
    });
    expect(await store.cachePreferences('alice')).toEqual({ organizations: [{ name: 'acme', cache: 'eu' }] });
    expect(await createLmdbSettingsStore(root).getMetaSettings()).toEqual({
      createRepositoryOnPush: false,
      anonymousPull: true,
      scanOnPush: false,
    });
  });

  it('writes records the earlier code reads: no name inside, the same keys', async () => {
    const root = env.root;
    const store = createLmdbAccountStore(root);
    await store.createUser({
      name: 'bob',
      id: 'bob-id',
      passwordHash: 'h',
      isAdmin: true,
      isActive: true,
      createdAt: 1,
      settings: {},
    });
    await store.createOrg({ name: 'acme', createdAt: 2, settings: {} });
    await store.createTeam('acme', { name: 'ops', createdAt: 3 });
    await store.addTeamMember('acme', 'ops', 'bob');
    await store.setTeamAccess('acme', 'ops', { repository: 'acme/app', accessLevel: 'admin' });
    await createLmdbSettingsStore(root).updateMetaSettings({ anonymousPull: false });

    expect(sub(root, 'users').get('bob')).toEqual({
      id: 'bob-id',
      passwordHash: 'h',
      isAdmin: true,
      isActive: true,
      createdAt: 1,
      settings: {},
    });
    expect(sub(root, 'orgs').get('acme')).toEqual({ createdAt: 2, settings: {} });
    expect(sub(root, 'orgMembers').get(key('acme', 'bob'))).toEqual({ isAdmin: false });
    expect(sub(root, 'teams').get(key('acme', 'ops'))).toEqual({ createdAt: 3 });
    expect(sub(root, 'teamMembers').get(key('acme', 'ops', 'bob'))).toBe(true);
    expect(sub(root, 'teamAccess').get(key('acme', 'ops', 'acme/app'))).toEqual({ accessLevel: 'admin' });
    // Settings added later (scanOnPush) are written too; earlier code reads them along without using them.
    expect(sub(root, 'settings').get('meta')).toEqual({
      createRepositoryOnPush: true,
      anonymousPull: false,
      scanOnPush: false,
    });
  });

  it('indexes the memberships of an earlier directory by user once, and keeps the index with every change', async () => {
    const root = env.root;
    const user = () => ({ passwordHash: 'h', isAdmin: false, isActive: true, createdAt: 1, settings: {} });
    for (const name of ['alice', 'bob']) await sub(root, 'users').put(name, user());
    for (const org of ['acme', 'beta', 'zeta']) await sub(root, 'orgs').put(org, { createdAt: 2, settings: {} });
    // Written as the earlier code did: orgMembers only, no memberOf and no index mark.
    await sub(root, 'orgMembers').put(key('zeta', 'alice'), { isAdmin: false });
    await sub(root, 'orgMembers').put(key('acme', 'alice'), { isAdmin: true });
    await sub(root, 'orgMembers').put(key('beta', 'bob'), { isAdmin: false });
    const memberOf = () => [...sub(root, 'memberOf').getKeys()];

    const store = createLmdbAccountStore(root);
    // The first lookup answers by a scan and has the index built.
    expect(await store.orgsOf('alice')).toEqual(['acme', 'zeta']);
    await waitForIndex(root);
    expect(memberOf()).toEqual([key('alice', 'acme'), key('alice', 'zeta'), key('bob', 'beta')]);
    expect(await store.orgsOf('alice')).toEqual(['acme', 'zeta']);

    await store.setOrgMember('beta', 'alice', false);
    await store.removeOrgMember('acme', 'alice');
    await store.createTeam('zeta', { name: 'ops', createdAt: 3 });
    await store.addTeamMember('zeta', 'ops', 'bob');
    expect(await store.orgsOf('alice')).toEqual(['beta', 'zeta']);
    expect(await store.orgsOf('bob')).toEqual(['beta', 'zeta']);
    await store.removeOrg('beta');
    expect(await store.orgsOf('alice')).toEqual(['zeta']);
    await store.removeUser('bob');
    expect(memberOf()).toEqual([key('alice', 'zeta')]);
    // Another process's store on the same environment reads the index it finds.
    expect(await createLmdbAccountStore(root).orgsOf('alice')).toEqual(['zeta']);
  });
});

/** Waits (bounded) until the accounts owner marked its `memberOf` index complete. */
async function waitForIndex(root: RootDatabase): Promise<void> {
  for (let i = 0; i < 100 && sub(root, 'accountIndexes').get('memberOf') !== 1; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(sub(root, 'accountIndexes').get('memberOf')).toBe(1);
}
