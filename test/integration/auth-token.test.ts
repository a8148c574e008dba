/**
 * The token server: `GET /auth/token` (Docker token spec), `POST /auth/token` (its OAuth2 form,
 * as docker and containerd send it) and `GET /auth/jwks.json`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { expectOciError } from '../helpers/registry-http.js';
import {
  accessOf,
  basicAuth,
  bearer,
  getToken,
  makePublic,
  postToken,
  pushImageAs,
  TEST_ADMIN_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../helpers/auth-http.js';

let main: TestMain;
const ALICE = basicAuth('alice', 'alice-password');
const BOB = basicAuth('bob', 'bob-password');

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await main.service.accounts.createUser({ name: 'alice', password: 'alice-password' });
  await main.service.accounts.createUser({ name: 'bob', password: 'bob-password' });
  await pushImageAs(main.url, 'alice/private', 'v1', ALICE);
  await pushImageAs(main.url, 'alice/public', 'v1', ALICE);
  await makePublic(main.url, 'alice/public', basicAuth('admin', TEST_ADMIN_PASSWORD));
});
afterAll(async () => {
  await main.stop();
});

async function tokenBody(res: Response): Promise<TokenBody> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return JSON.parse(text) as TokenBody;
}

describe('GET /auth/token', () => {
  it('answers Basic credentials with {token, access_token, expires_in, issued_at}', async () => {
    const before = Date.now();
    const body = await tokenBody(
      await getToken(main.url, { authorization: ALICE, scopes: ['repository:alice/private:pull,push'] }),
    );
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    expect(Date.parse(body.issued_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(accessOf(body.token)).toEqual([{ type: 'repository', name: 'alice/private', actions: ['pull', 'push'] }]);
  });

  it('grants the intersection of what was asked and what the user may do', async () => {
    const token = await tokenFor(main.url, BOB, [
      'repository:alice/public:pull,push,delete',
      'repository:alice/private:pull',
      'repository:bob/new:push',
    ]);
    expect(accessOf(token)).toEqual([
      { type: 'repository', name: 'alice/public', actions: ['pull'] },
      { type: 'repository', name: 'bob/new', actions: ['push'] },
    ]);
  });

  it('accepts several scopes in one parameter and merges scopes naming one repository', async () => {
    const token = await tokenFor(main.url, ALICE, ['repository:alice/private:pull repository:alice/private:push']);
    expect(accessOf(token)).toEqual([{ type: 'repository', name: 'alice/private', actions: ['pull', 'push'] }]);
  });

  it('drops scopes with injected or invalid names', async () => {
    const token = await tokenFor(main.url, ALICE, [
      'repository:../etc:pull',
      'repository:alice/private:pull,push:extra',
      'repository:Alice/Private:pull',
      'repository:alice/private/../x:pull',
    ]);
    expect(accessOf(token)).toEqual([]);
  });

  it('gives anonymous clients pull on public repositories only', async () => {
    const body = await tokenBody(
      await getToken(main.url, { scopes: ['repository:alice/public:pull,push', 'repository:alice/private:pull'] }),
    );
    expect(accessOf(body.token)).toEqual([{ type: 'repository', name: 'alice/public', actions: ['pull'] }]);
    expect(JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString())).toMatchObject({
      sub: 'anonymous',
      aud: 'outpost',
      iss: main.url,
    });
  });

  it('gives the catalog to signed-in users, not to anonymous clients', async () => {
    expect(accessOf(await tokenFor(main.url, BOB, ['registry:catalog:*']))).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(accessOf(await tokenFor(main.url, undefined, ['registry:catalog:*']))).toEqual([]);
  });

  it('adds a refresh token for offline_token=true, for users only', async () => {
    const body = await tokenBody(
      await getToken(main.url, { authorization: ALICE, scopes: ['repository:alice/private:pull'], offline: true }),
    );
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const anonymous = await tokenBody(
      await getToken(main.url, { scopes: ['repository:alice/public:pull'], offline: true }),
    );
    expect(anonymous).not.toHaveProperty('refresh_token');
  });

  it('answers 401 UNAUTHORIZED for a wrong password, an unknown user, a bearer token, a malformed header', async () => {
    const token = await tokenFor(main.url, ALICE, []);
    for (const authorization of [
      basicAuth('alice', 'not-her-password'),
      basicAuth('nobody', 'alice-password'),
      bearer(token),
      'Basic %%%',
      'Negotiate abc',
    ]) {
      await expectOciError(
        await getToken(main.url, { authorization, scopes: ['repository:alice/private:pull'] }),
        401,
        'UNAUTHORIZED',
      );
    }
  });

  it('signs with the key the JWKS publishes, naming it in the header', async () => {
    const token = await tokenFor(main.url, ALICE, []);
    const jwks = (await (await fetch(`${main.url}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(token).kid);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
  });
});

describe('POST /auth/token (OAuth2)', () => {
  it('grant_type=password answers {access_token, ...} for the intersection', async () => {
    const res = await postToken(main.url, {
      grant_type: 'password',
      username: 'bob',
      password: 'bob-password',
      service: 'outpost',
      client_id: 'docker',
      scope: 'repository:alice/public:pull,push',
    });
    const body = await tokenBody(res);
    expect(body.access_token).toBe(body.token);
    expect(body).not.toHaveProperty('refresh_token');
    expect(accessOf(body.access_token)).toEqual([{ type: 'repository', name: 'alice/public', actions: ['pull'] }]);
  });

  it('password grant with access_type=offline adds a refresh token that grant_type=refresh_token redeems', async () => {
    const first = await tokenBody(
      await postToken(main.url, {
        grant_type: 'password',
        username: 'alice',
        password: 'alice-password',
        service: 'outpost',
        client_id: 'containerd',
        access_type: 'offline',
        scope: 'repository:alice/private:pull',
      }),
    );
    expect(first.refresh_token).toBeDefined();
    const second = await tokenBody(
      await postToken(main.url, {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token!,
        service: 'outpost',
        client_id: 'containerd',
        scope: 'repository:alice/private:pull,push',
      }),
    );
    expect(second.refresh_token).toBe(first.refresh_token);
    expect(accessOf(second.access_token)).toEqual([
      { type: 'repository', name: 'alice/private', actions: ['pull', 'push'] },
    ]);
    const res = await fetch(`${main.url}/v2/alice/private/manifests/v1`, {
      headers: { Authorization: bearer(second.access_token), Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.status).toBe(200);
  });

  it('a refresh token from GET offline_token=true works on POST', async () => {
    const { refresh_token } = await tokenBody(await getToken(main.url, { authorization: BOB, offline: true }));
    const body = await tokenBody(
      await postToken(main.url, {
        grant_type: 'refresh_token',
        refresh_token: refresh_token!,
        service: 'outpost',
        scope: 'repository:bob/app:push',
      }),
    );
    expect(accessOf(body.access_token)).toEqual([{ type: 'repository', name: 'bob/app', actions: ['push'] }]);
  });

  it.each([
    ['an unsupported grant', { grant_type: 'client_credentials', client_id: 'x' }],
    ['no grant type', { username: 'alice', password: 'alice-password' }],
    ['an authorization code grant', { grant_type: 'authorization_code', code: 'abc' }],
  ])('answers 400 unsupported_grant_type for %s', async (_what, form) => {
    const res = await postToken(main.url, form);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'unsupported_grant_type', error_description: expect.any(String) });
  });

  it('answers 400 for a body that is not a form', async () => {
    const res = await fetch(`${main.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"grant_type":"password"',
    });
    expect(res.status).toBe(400);
  });

  it.each([
    ['a wrong password', { grant_type: 'password', username: 'alice', password: 'wrong-password' }],
    ['an unknown user', { grant_type: 'password', username: 'nobody', password: 'whatever-it-is' }],
    ['no credentials', { grant_type: 'password' }],
    ['an unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'made-up' }],
    ['no refresh token', { grant_type: 'refresh_token' }],
  ])('answers 401 invalid_grant for %s', async (_what, form) => {
    const res = await postToken(main.url, { service: 'outpost', ...form });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  it("stops redeeming a user's refresh tokens once the user is deactivated", async () => {
    await main.service.accounts.createUser({ name: 'dora', password: 'dora-password' });
    const { refresh_token } = await tokenBody(
      await postToken(main.url, {
        grant_type: 'password',
        username: 'dora',
        password: 'dora-password',
        access_type: 'offline',
      }),
    );
    await main.service.accounts.updateUser('dora', { isActive: false });
    const res = await postToken(main.url, { grant_type: 'refresh_token', refresh_token: refresh_token! });
    expect(res.status).toBe(401);
  });
});

describe('GET /auth/jwks.json', () => {
  it('publishes the public signing keys (no private parts), cacheable', async () => {
    const res = await fetch(`${main.url}/auth/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
      kid: main.service.keys.signingKey.kid,
    });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('needs no credentials', async () => {
    const res = await fetch(`${main.url}/auth/jwks.json`, { headers: { Authorization: 'Basic garbage' } });
    expect(res.status).toBe(200);
  });
});
