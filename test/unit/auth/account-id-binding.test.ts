/**
 * Sessions and refresh tokens are bound to the account's immutable id (issue 9, item 17), not
 * only to its name: one left behind by a removal that did not reach it (a sign-in racing the
 * removal) does not pass to a later account of the same name. Real LMDB in a temp dir; the
 * leftover is made by removing the user record alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { KeyRing } from '../../../src/auth/keys.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { openAccountsDb, type AccountsDb } from '../../helpers/accounts-db.js';
import type { Accounts } from '../../../main/accounts/accounts.js';
import { lmdbAccounts } from '../../helpers/lmdb-accounts.js';
import type { AccessControl } from '../../../main/accounts/access-control.js';
import { createSessions } from '../../../main/auth/sessions.js';
import { createTokenService } from '../../../main/auth/token-service.js';
import { createLmdbSessionStore } from '../../../main/metadata/lmdb/sessions.js';
import type { SessionStore } from '../../../main/metadata/sessions.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let db: MainEnvironment;
let accountsDb: AccountsDb;
let accounts: Accounts;
let keys: KeyRing;
let store: SessionStore;
const accountId = async (name: string) => accounts.userId(name);

const accessControl = { actionsFor: async () => [], isOrgAdmin: async () => false } as unknown as AccessControl;
const ALICE = { kind: 'user', name: 'alice', isAdmin: false } as const;

beforeEach(async () => {
  temp = await createTempDir('outpost-account-ids-');
  db = openMainEnvironment(join(temp.path, 'db'));
  accountsDb = openAccountsDb(db.root);
  accounts = lmdbAccounts(db.root);
  store = createLmdbSessionStore(db.root);
  keys = await KeyRing.open({ store: createFileKeyStore(join(temp.path, 'keys')), maxTokenLifetimeMs: 300_000 });
  await accounts.createUser({ name: 'alice', password: 'alice-password' });
});
afterEach(async () => {
  await db.close();
  await temp.remove();
});

/** Removes alice's record only (what a removal racing a sign-in leaves) and creates her again. */
async function recreateAliceLeavingCredentials(): Promise<void> {
  await accountsDb.users.remove('alice');
  await accounts.createUser({ name: 'alice', password: 'the-new-alice' });
}

describe('account ids', () => {
  it('are random, kept by every update, and new for a re-created name', async () => {
    const first = await accounts.userId('alice');
    expect(first).toMatch(/^[\w-]{22}$/);
    await accounts.updateUser('alice', { fullName: 'Alice', password: 'another-password' });
    await accounts.updateSettings('alice', { defaultContentCache: '' });
    expect(await accounts.userId('alice')).toBe(first);
    await accounts.removeUser('alice');
    await accounts.createUser({ name: 'alice', password: 'the-new-alice' });
    expect(await accounts.userId('alice')).not.toBe(first);
  });
});

describe('a session of an earlier account of the same name', () => {
  it('is no session; one of the current account is', async () => {
    const sessions = createSessions({ store, accountId, lifetimeMs: 60_000 });
    const old = await sessions.create('alice');
    expect(await sessions.get(old.id)).toMatchObject({ user: 'alice' });
    await recreateAliceLeavingCredentials();
    expect(await sessions.get(old.id)).toBeUndefined();
    const current = await sessions.create('alice');
    expect(await sessions.get(current.id)).toMatchObject({ user: 'alice', userId: await accounts.userId('alice') });
  });
});

describe('a refresh token of an earlier account of the same name', () => {
  it('is refused as invalid; one of the current account is redeemed', async () => {
    const tokens = createTokenService({
      keys,
      accessControl,
      store,
      accountId,
      issuer: 'http://main.test',
      service: 'outpost',
      tokenLifetimeMs: 300_000,
      refreshTokenLifetimeMs: 86_400_000,
      now: Date.now,
    });
    const old = (await tokens.issue(ALICE, [], { offline: true })).refresh_token!;
    expect(await tokens.redeemRefreshToken(old)).toBe('alice');
    await recreateAliceLeavingCredentials();
    await expect(tokens.redeemRefreshToken(old)).rejects.toThrow('refresh token is invalid or expired');
    const current = (await tokens.issue(ALICE, [], { offline: true })).refresh_token!;
    expect(await tokens.redeemRefreshToken(current)).toBe('alice');
  });
});
