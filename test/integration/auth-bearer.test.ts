/**
 * Registry bearer tokens on /v2: what a token grants is all it grants; expired, forged and
 * foreign tokens are refused; a deactivated or removed user's tokens stop working at once;
 * repeated failed sign-ins are refused with 429.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { KeyRing } from '../../src/auth/keys.js';
import { createFileKeyStore } from '../../main/metadata/lmdb/keys.js';
import { issueRegistryToken } from '../../src/auth/registry-token.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import {
  basicAuth,
  bearer,
  getToken,
  headBlob,
  makePublic,
  parseChallenge,
  postToken,
  pushImageAs,
  TEST_ADMIN_PASSWORD,
  tokenFor,
  type PushedAs,
} from '../helpers/auth-http.js';

let main: TestMain;
let foreignKeys: TempDir;
let image: PushedAs;
let publicImage: PushedAs;
// main's clock: tests move it forward to expire tokens.
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
const ALICE = basicAuth('alice', 'alice-password');
const BOB = basicAuth('bob', 'bob-password');

beforeAll(async () => {
  main = await startTestMain({ auth: true, now });
  foreignKeys = await createTempDir('outpost-foreign-keys-');
  await main.service.accounts.createUser({ name: 'alice', password: 'alice-password' });
  await main.service.accounts.createUser({ name: 'bob', password: 'bob-password' });
  image = await pushImageAs(main.url, 'alice/app', 'v1', ALICE);
  publicImage = await pushImageAs(main.url, 'alice/public', 'v1', ALICE);
  await makePublic(main.url, 'alice/public', basicAuth('admin', TEST_ADMIN_PASSWORD));
});
afterAll(async () => {
  await main.stop();
  await foreignKeys.remove();
});

const manifestOf = (name: string, authorization: string) =>
  fetch(`${main.url}/v2/${name}/manifests/v1`, {
    headers: { Authorization: authorization, Accept: image.manifest.mediaType },
  });

async function expectChallenge(res: Response, error: string | undefined, scope?: string): Promise<void> {
  await expectOciError(res, 401, 'UNAUTHORIZED');
  const challenge = parseChallenge(res.headers.get('www-authenticate'));
  expect(challenge.realm).toBe(`${main.url}/auth/token`);
  expect(challenge.service).toBe('outpost');
  expect(challenge.error).toBe(error);
  if (scope) expect(challenge.scope).toBe(scope);
}

describe('a bearer token on /v2', () => {
  it('passes the version check whatever it grants', async () => {
    const token = await tokenFor(main.url, BOB, []);
    expect((await fetch(`${main.url}/v2/`, { headers: { Authorization: bearer(token) } })).status).toBe(200);
  });

  it('lets its holder do what it grants', async () => {
    const token = await tokenFor(main.url, ALICE, ['repository:alice/app:pull']);
    expect((await manifestOf('alice/app', bearer(token))).status).toBe(200);
    expect((await headBlob(main.url, 'alice/app', image.layer.digest, bearer(token))).status).toBe(200);
  });

  it('answers 401 insufficient_scope, naming the scope needed, for an action it does not grant', async () => {
    const token = await tokenFor(main.url, ALICE, ['repository:alice/app:pull']);
    const blob = randomBlob(32);
    const res = await fetch(`${main.url}/v2/alice/app/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: bearer(token) },
      body: blob.bytes,
    });
    await expectChallenge(res, 'insufficient_scope', 'repository:alice/app:pull,push');
  });

  it('answers 401 insufficient_scope on another repository, even one its user may pull', async () => {
    const token = await tokenFor(main.url, ALICE, ['repository:alice/app:pull']);
    await expectChallenge(
      await manifestOf('alice/public', bearer(token)),
      'insufficient_scope',
      'repository:alice/public:pull',
    );
  });

  it('grants no more than the user may do, whatever was asked', async () => {
    const token = await tokenFor(main.url, BOB, [
      'repository:alice/app:pull,push',
      'repository:alice/public:pull,push',
    ]);
    await expectChallenge(await manifestOf('alice/app', bearer(token)), 'insufficient_scope');
    expect((await manifestOf('alice/public', bearer(token))).status).toBe(200);
    const blob = randomBlob(32);
    const res = await fetch(`${main.url}/v2/alice/public/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: bearer(token) },
      body: blob.bytes,
    });
    await expectChallenge(res, 'insufficient_scope');
  });

  it('lets an anonymous token pull a public repository, and nothing else', async () => {
    const token = await tokenFor(main.url, undefined, ['repository:alice/public:pull', 'repository:alice/app:pull']);
    expect((await headBlob(main.url, 'alice/public', publicImage.layer.digest, bearer(token))).status).toBe(200);
    await expectChallenge(await manifestOf('alice/app', bearer(token)), 'insufficient_scope');
  });

  it('lists the catalog only with registry:catalog:*', async () => {
    const withCatalog = await tokenFor(main.url, BOB, ['registry:catalog:*']);
    const res = await fetch(`${main.url}/v2/_catalog`, { headers: { Authorization: bearer(withCatalog) } });
    expect(res.status).toBe(200);
    const without = await tokenFor(main.url, BOB, ['repository:alice/public:pull']);
    await expectChallenge(
      await fetch(`${main.url}/v2/_catalog`, { headers: { Authorization: bearer(without) } }),
      'insufficient_scope',
      'registry:catalog:*',
    );
  });
});

describe('refused tokens', () => {
  it('answers 401 invalid_token for an expired token', async () => {
    const token = await tokenFor(main.url, ALICE, ['repository:alice/app:pull']);
    expect((await manifestOf('alice/app', bearer(token))).status).toBe(200);
    offsetMs = 5 * 60_000 + 1000;
    try {
      await expectChallenge(await manifestOf('alice/app', bearer(token)), 'invalid_token');
    } finally {
      offsetMs = 0;
    }
  });

  it('answers 401 invalid_token for a token whose payload was changed (forged signature)', async () => {
    const token = await tokenFor(main.url, BOB, ['repository:alice/public:pull']);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(
      JSON.stringify({
        ...claims,
        access: [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push', 'delete'] }],
      }),
    ).toString('base64url');
    await expectChallenge(await manifestOf('alice/app', bearer(`${header}.${forged}.${signature}`)), 'invalid_token');
  });

  it('answers 401 invalid_token for a token signed by another key, with its own or with main kid', async () => {
    const ring = await KeyRing.open({
      store: createFileKeyStore(join(foreignKeys.path, 'keys')),
      maxTokenLifetimeMs: 300_000,
    });
    const claims = {
      issuer: main.url,
      service: 'outpost',
      subject: 'admin',
      access: [{ type: 'repository' as const, name: 'alice/app', actions: ['pull' as const] }],
      lifetimeMs: 300_000,
      now: Date.now(),
    };
    const ownKid = (await issueRegistryToken(ring.signingKey, claims)).token;
    const mainKid = (
      await issueRegistryToken(
        { kid: main.service.keys.signingKey.kid, privateKey: ring.signingKey.privateKey },
        claims,
      )
    ).token;
    for (const token of [ownKid, mainKid])
      await expectChallenge(await manifestOf('alice/app', bearer(token)), 'invalid_token');
  });

  it('answers 401 invalid_token for a token of main for another service or issuer', async () => {
    const base = {
      subject: 'alice',
      access: [{ type: 'repository' as const, name: 'alice/app', actions: ['pull' as const] }],
      lifetimeMs: 300_000,
      now: Date.now(),
    };
    const otherService = (
      await issueRegistryToken(main.service.keys.signingKey, { ...base, issuer: main.url, service: 'another-registry' })
    ).token;
    const otherIssuer = (
      await issueRegistryToken(main.service.keys.signingKey, {
        ...base,
        issuer: 'http://elsewhere',
        service: 'outpost',
      })
    ).token;
    for (const token of [otherService, otherIssuer])
      await expectChallenge(await manifestOf('alice/app', bearer(token)), 'invalid_token');
  });

  it("stops honouring a user's tokens once the user is deactivated, and again once removed", async () => {
    await main.service.accounts.createUser({ name: 'carol', password: 'carol-password' });
    const carol = basicAuth('carol', 'carol-password');
    await pushImageAs(main.url, 'carol/app', 'v1', carol);
    const token = await tokenFor(main.url, carol, ['repository:carol/app:pull']);
    expect((await manifestOf('carol/app', bearer(token))).status).toBe(200);
    await main.service.accounts.updateUser('carol', { isActive: false });
    await expectChallenge(await manifestOf('carol/app', bearer(token)), 'invalid_token');
    await expectOciError(await manifestOf('carol/app', carol), 401, 'UNAUTHORIZED');
    await main.service.accounts.updateUser('carol', { isActive: true });
    expect((await manifestOf('carol/app', bearer(token))).status).toBe(200);
    // A user whose namespace has repositories cannot be removed: they go first.
    const removeRepo = await fetch(`${main.url}/api/v0/repositories/carol/app`, {
      method: 'DELETE',
      headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) },
    });
    expect(removeRepo.status).toBe(204);
    await main.service.accounts.removeUser('carol');
    await expectChallenge(await manifestOf('carol/app', bearer(token)), 'invalid_token');
  });
});

describe('repeated failed sign-ins', () => {
  it('are refused with 429 TOOMANYREQUESTS and a Retry-After, on /auth/token, /v2 and the OAuth2 form', async () => {
    await main.service.accounts.createUser({ name: 'victim', password: 'victim-password' });
    // Concurrent, so the test does not wait out the growing delays between attempts; each a
    // different guess, since the same password sent at once is checked (and counted) only once.
    const wrong = (i: number) => basicAuth('victim', `guess-guess-${i}`);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => getToken(main.url, { authorization: wrong(i) })),
    );
    expect(attempts.map((r) => r.status)).toEqual(Array(10).fill(401));
    const locked = await getToken(main.url, { authorization: basicAuth('victim', 'victim-password') });
    await expectOciError(locked, 429, 'TOOMANYREQUESTS');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const v2 = await fetch(`${main.url}/v2/victim/app/tags/list`, {
      headers: { Authorization: basicAuth('victim', 'victim-password') },
    });
    await expectOciError(v2, 429, 'TOOMANYREQUESTS');
    expect(v2.headers.get('retry-after')).not.toBeNull();
    const form = await postToken(main.url, { grant_type: 'password', username: 'victim', password: 'victim-password' });
    expect(form.status).toBe(429);
    expect(Number(form.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await form.json()).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
    // Another account from the same address is not locked out by them.
    expect((await getToken(main.url, { authorization: ALICE })).status).toBe(200);
  });
});
