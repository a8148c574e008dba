/** Account operations over a temporary LMDB: what removing a user leaves behind, and lookups. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { openAccountsDb, type AccountsDb } from '../../helpers/accounts-db.js';
import type { Accounts } from '../../../main/accounts/accounts.js';
import { lmdbAccounts } from '../../helpers/lmdb-accounts.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let db: MainEnvironment;
let accountsDb: AccountsDb;
let accounts: Accounts;

beforeEach(async () => {
  temp = await createTempDir('outpost-accounts-');
  db = openMainEnvironment(join(temp.path, 'db'));
  accountsDb = openAccountsDb(db.root);
  accounts = lmdbAccounts(db.root);
  await accounts.createUser({ name: 'alice', password: 'alice-password' });
  await accounts.createUser({ name: 'bob', password: 'bob-password1' });
  await accounts.createOrg({ name: 'org' });
  await accounts.createTeam('org', 'devs');
  await accounts.addTeamMember('org', 'devs', 'alice');
  await accounts.addTeamMember('org', 'devs', 'bob');
  await accounts.setOrgMember('org', 'alice', true);
});
afterEach(async () => {
  await db.close();
  await temp.remove();
});

describe('removeUser', () => {
  it('removes the user with its organization and team memberships', async () => {
    await accounts.removeUser('alice');
    expect(await accounts.getUser('alice')).toBeUndefined();
    expect((await accounts.listOrgMembers('org')).map((m) => m.name)).toEqual(['bob']);
    expect(await accounts.listTeamMembers('org', 'devs')).toEqual(['bob']);
  });

  it('gives a later account of the same name none of the old memberships', async () => {
    await accounts.removeUser('alice');
    await accounts.createUser({ name: 'alice', password: 'another-alice' });
    expect((await accounts.listOrgMembers('org')).map((m) => m.name)).toEqual(['bob']);
    expect(await accounts.listTeamMembers('org', 'devs')).toEqual(['bob']);
  });

  it("revokes the user's refresh tokens and sessions, and only theirs", async () => {
    await accountsDb.refreshTokens.put('h1', { user: 'alice', expiresAt: Date.now() + 60_000 });
    await accountsDb.refreshTokens.put('h2', { user: 'bob', expiresAt: Date.now() + 60_000 });
    await accountsDb.sessions.put('s1', { user: 'alice', csrfToken: 'c', expiresAt: Date.now() + 60_000 });
    await accountsDb.sessions.put('s2', { user: 'bob', csrfToken: 'c', expiresAt: Date.now() + 60_000 });
    await accounts.removeUser('alice');
    expect([...accountsDb.refreshTokens.getKeys()]).toEqual(['h2']);
    expect([...accountsDb.sessions.getKeys()]).toEqual(['s2']);
  });

  it('answers NOT_FOUND for an unknown user', async () => {
    await expect(accounts.removeUser('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('revokeCredentials', () => {
  it('counts what it revoked', async () => {
    await accountsDb.refreshTokens.put('h1', { user: 'alice', expiresAt: 1 });
    await accountsDb.sessions.put('s1', { user: 'alice', csrfToken: 'c', expiresAt: 1 });
    expect(await accounts.revokeCredentials('alice')).toBe(2);
    expect(await accounts.revokeCredentials('alice')).toBe(0);
  });
});

describe('passwordVersion', () => {
  it('changes when the password changes, not otherwise', async () => {
    const before = await accounts.passwordVersion('alice');
    await accounts.updateUser('alice', { fullName: 'Alice' });
    expect(await accounts.passwordVersion('alice')).toBe(before);
    await accounts.updateUser('alice', { password: 'changed-password' });
    expect(await accounts.passwordVersion('alice')).not.toBe(before);
    expect(await accounts.passwordVersion('nobody')).toBeUndefined();
  });
});

describe('user lookups by a name no account can have', () => {
  it('find no user (instead of LMDB throwing on a key too long to encode)', async () => {
    const long = 'b'.repeat(5000);
    expect(await accounts.getUser(long)).toBeUndefined();
    expect(await accounts.passwordVersion(long)).toBeUndefined();
    expect(await accounts.userId(long)).toBeUndefined();
    expect(await accounts.authenticate(long, 'x')).toBeUndefined();
    expect(await accounts.authenticate('alice', 'alice-password')).toMatchObject({ name: 'alice' });
  });
});
