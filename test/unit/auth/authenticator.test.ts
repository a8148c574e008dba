/** The authenticator over real accounts in a temporary LMDB, with a recording throttle. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createLocalJWKSet } from 'jose';
import { KeyRing } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { createJwtVerifier, signJwt } from '../../../src/auth/jwt.js';
import { issueRegistryToken } from '../../../src/auth/registry-token.js';
import { OciError } from '../../../src/oci/errors.js';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import type { Accounts } from '../../../main/accounts/accounts.js';
import { lmdbAccounts } from '../../helpers/lmdb-accounts.js';
import { createAuthenticator, type Authenticator } from '../../../main/auth/authenticator.js';
import type { LoginThrottle } from '../../../main/auth/login-throttle.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const ISSUER = 'http://main.test';
let temp: TempDir;
let db: MainEnvironment;
let accounts: Accounts;
let keys: KeyRing;
let auth: Authenticator;
let events: string[];

const throttle: LoginThrottle = {
  before: async (account) => {
    events.push(`before ${account}`);
    return {
      failed: async () => void events.push(`failed ${account}`),
      succeeded: async () => void events.push(`succeeded ${account}`),
      abandoned: () => void events.push(`ended ${account}`),
    };
  },
  failed: async (account) => void events.push(`failed ${account}`),
  succeeded: async (account) => void events.push(`succeeded ${account}`),
};

beforeEach(async () => {
  temp = await createTempDir('outpost-authn-');
  db = openMainEnvironment(join(temp.path, 'db'));
  accounts = lmdbAccounts(db.root);
  keys = await KeyRing.open({ store: createFileKeyStore(join(temp.path, 'keys')), maxTokenLifetimeMs: 300_000 });
  const verifier = createJwtVerifier({
    getKey: (h, t) => createLocalJWKSet(keys.jwks())(h, t),
    issuer: ISSUER,
    audience: 'outpost',
  });
  auth = createAuthenticator({ accounts, throttle, verifier });
  events = [];
  await accounts.createUser({ name: 'alice', password: 'alice-password' });
});
afterEach(async () => {
  await db.close();
  await temp.remove();
});

async function rejection(promise: Promise<unknown>): Promise<OciError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OciError);
  return err as OciError;
}

/** A token as main issues it: for `subject`, with its current account id (`uid`) unless given. */
const tokenFor = async (subject: string, given?: string) => {
  const accountId = given ?? (await accounts.userId(subject));
  const issued = await issueRegistryToken(keys.signingKey, {
    issuer: ISSUER,
    service: 'outpost',
    subject,
    ...(accountId !== undefined && { accountId }),
    access: [{ type: 'repository', name: 'alice/app', actions: ['pull'] }],
    lifetimeMs: 300_000,
    now: Date.now(),
  });
  return issued.token;
};

describe('authenticator.password', () => {
  it('signs in with the right password and tells the throttle', async () => {
    expect(await auth.password('alice', 'alice-password', '10.0.0.1')).toEqual({
      kind: 'user',
      name: 'alice',
      isAdmin: false,
    });
    expect(events).toEqual(['before alice', 'succeeded alice', 'ended alice']);
  });

  it('answers UNAUTHORIZED for a wrong password or an unknown user, counting the failure', async () => {
    expect((await rejection(auth.password('alice', 'wrong-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
    expect((await rejection(auth.password('nobody', 'alice-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
    expect(events).toEqual([
      'before alice',
      'failed alice',
      'ended alice',
      'before nobody',
      'failed nobody',
      'ended nobody',
    ]);
  });

  it('remembers a verified password for the next request (no second scrypt), still asking the throttle first', async () => {
    await auth.password('alice', 'alice-password', '10.0.0.1');
    let checked = 0;
    const authenticate = accounts.authenticate;
    accounts.authenticate = async (...args) => {
      checked++;
      return authenticate(...args);
    };
    events = [];
    await auth.password('alice', 'alice-password', '10.0.0.1');
    expect(events).toEqual(['before alice', 'succeeded alice', 'ended alice']);
    expect(checked).toBe(0);
  });

  it('checks the same password sent on several requests at once only once, in one throttle attempt', async () => {
    const signIns = Array.from({ length: 5 }, () => auth.password('alice', 'alice-password', '10.0.0.1'));
    for (const principal of await Promise.all(signIns)) expect(principal).toMatchObject({ name: 'alice' });
    expect(events).toEqual(['before alice', 'succeeded alice', 'ended alice']);
  });

  it('frees the throttle attempt when checking throws, counting nothing', async () => {
    accounts.authenticate = async () => Promise.reject(new Error('disk on fire'));
    await expect(auth.password('alice', 'alice-password', '10.0.0.1')).rejects.toThrow('disk on fire');
    expect(events).toEqual(['before alice', 'ended alice']);
  });

  it('refuses a name no account can have, or a password longer than any, without a lookup or the throttle', async () => {
    for (const [name, password] of [
      ['b'.repeat(5000), 'x'],
      ['B', 'alice-password'],
      ['alice', 'p'.repeat(1025)],
    ] as const) {
      const err = await rejection(auth.password(name, password, '10.0.0.1'));
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.message).toBe('incorrect username or password');
    }
    expect(events).toEqual([]);
  });

  it('stops accepting the old password at once when it is changed', async () => {
    await auth.password('alice', 'alice-password', '10.0.0.1');
    await accounts.updateUser('alice', { password: 'a-new-password' });
    expect((await rejection(auth.password('alice', 'alice-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
    expect(await auth.password('alice', 'a-new-password', '10.0.0.1')).toMatchObject({ name: 'alice' });
  });

  it('stops accepting a remembered password once the account is deactivated or removed', async () => {
    await auth.password('alice', 'alice-password', '10.0.0.1');
    await accounts.updateUser('alice', { isActive: false });
    expect((await rejection(auth.password('alice', 'alice-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
    await accounts.updateUser('alice', { isActive: true });
    await auth.password('alice', 'alice-password', '10.0.0.1');
    await accounts.removeUser('alice');
    expect((await rejection(auth.password('alice', 'alice-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
  });

  it('does not let a re-created account with the same name inherit the old password', async () => {
    await auth.password('alice', 'alice-password', '10.0.0.1');
    await accounts.removeUser('alice');
    await accounts.createUser({ name: 'alice', password: 'the-new-alice' });
    expect((await rejection(auth.password('alice', 'alice-password', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
  });

  it('passes the throttle refusal through', async () => {
    const locked = createAuthenticator({
      accounts,
      throttle: {
        ...throttle,
        before: async () => Promise.reject(new OciError('TOOMANYREQUESTS', { headers: { 'Retry-After': '60' } })),
      },
      verifier: createJwtVerifier({ getKey: (h, t) => createLocalJWKSet(keys.jwks())(h, t), issuer: ISSUER }),
    });
    const err = await rejection(locked.password('alice', 'alice-password', '10.0.0.1'));
    expect(err.code).toBe('TOOMANYREQUESTS');
    expect(err.headers['Retry-After']).toBe('60');
  });
});

describe('authenticator.bearer', () => {
  it('returns the principal and the access the token grants', async () => {
    const identity = await auth.bearer(await tokenFor('alice'));
    expect(identity).toEqual({
      principal: { kind: 'user', name: 'alice', isAdmin: false },
      access: [{ type: 'repository', name: 'alice/app', actions: ['pull'] }],
    });
  });

  it('returns an anonymous principal for an anonymous token', async () => {
    expect((await auth.bearer(await tokenFor('anonymous'))).principal).toEqual({ kind: 'anonymous' });
  });

  it('follows the account: admin rights from the record, tokens of deactivated or removed users refused', async () => {
    const token = await tokenFor('alice');
    await accounts.updateUser('alice', { isAdmin: true });
    expect((await auth.bearer(token)).principal).toEqual({ kind: 'user', name: 'alice', isAdmin: true });
    await accounts.updateUser('alice', { isActive: false });
    expect((await rejection(auth.bearer(token))).code).toBe('UNAUTHORIZED');
    await accounts.updateUser('alice', { isActive: true });
    await accounts.removeUser('alice');
    expect((await rejection(auth.bearer(token))).code).toBe('UNAUTHORIZED');
  });

  it('refuses a token of an earlier account of the same name, or with any other account id', async () => {
    const token = await tokenFor('alice');
    await accounts.removeUser('alice');
    await accounts.createUser({ name: 'alice', password: 'the-new-alice' });
    const err = await rejection(auth.bearer(token));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('the token was issued to an earlier account of this name');
    expect((await rejection(auth.bearer(await tokenFor('alice', '')))).code).toBe('UNAUTHORIZED');
    expect((await auth.bearer(await tokenFor('alice'))).principal).toMatchObject({ name: 'alice' });
  });

  it('refuses a token main signed for another use, such as a blob redirect, whatever it grants', async () => {
    const accountId = await accounts.userId('alice');
    const token = await signJwt(
      keys.signingKey,
      { use: 'blob-redirect', uid: accountId, access: [{ type: 'repository', name: 'alice/app', actions: ['pull'] }] },
      { issuer: ISSUER, audience: 'outpost', subject: 'alice', lifetimeMs: 300_000, now: Date.now() },
    );
    expect((await rejection(auth.bearer(token))).code).toBe('UNAUTHORIZED');
  });

  it('answers the same identity for a token asked again, and follows the account each time', async () => {
    const token = await tokenFor('alice');
    const first = await auth.bearer(token);
    expect(await auth.bearer(token)).toEqual(first);
    await accounts.updateUser('alice', { isActive: false });
    expect((await rejection(auth.bearer(token))).code).toBe('UNAUTHORIZED');
  });

  it('answers UNAUTHORIZED (not a 500) for a token that does not verify', async () => {
    expect((await rejection(auth.bearer('not.a.token'))).code).toBe('UNAUTHORIZED');
  });
});

describe('authenticator.activeUser', () => {
  it('answers for an active user and refuses others', async () => {
    expect(await auth.activeUser('alice')).toEqual({ kind: 'user', name: 'alice', isAdmin: false });
    expect((await rejection(auth.activeUser('nobody'))).code).toBe('UNAUTHORIZED');
  });
});
