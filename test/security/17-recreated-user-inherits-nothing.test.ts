/**
 * Issue 9, item 17: a deleted and re-created user name inherited the old user's unexpired
 * registry tokens. Accounts now have an immutable random id, created with the user and
 * carried by registry tokens (`uid`), refresh tokens and sessions; main refuses any of them
 * whose id is not the current account's. Accounts stored before ids existed keep working.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { openAccountTables } from '../../main/metadata/lmdb/account-tables.js';
import { openMainEnvironment } from '../../main/metadata/lmdb/environment.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, api, apiOk, createUser } from '../helpers/api-client.js';
import { bearer, getToken, postToken, pushImageAs, tokenFor, type TokenBody } from '../helpers/auth-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

const pullManifest = (base: string, name: string, token: string) => {
  const headers = { Authorization: bearer(token), Accept: 'application/vnd.oci.image.manifest.v1+json' };
  return fetch(`${base}/v2/${name}/manifests/v1`, { headers });
};
const refresh = (base: string, refreshToken: string) =>
  postToken(base, { grant_type: 'refresh_token', refresh_token: refreshToken, service: 'outpost' });
const withSession = (id: string) => ({ headers: { Cookie: `outpost_session=${id}` } });
/** `GET /auth/token` with `offline_token`: a registry token and a refresh token. */
async function offlineTokens(base: string, authorization: string, scopes: string[] = []): Promise<TokenBody> {
  return (await (await getToken(base, { authorization, scopes, offline: true })).json()) as TokenBody;
}

describe('a user removed and created again under the same name', () => {
  it("refuses the old account's registry token on /v2 (401), and accepts the new account's", async () => {
    const first = await createUser(main.url, 'reborn');
    await pushImageAs(main.url, 'reborn/app', 'v1', first);
    const oldToken = await tokenFor(main.url, first, ['repository:reborn/app:pull,push']);
    expect((await pullManifest(main.url, 'reborn/app', oldToken)).status).toBe(200);

    // An account with repositories cannot be removed (17-recreated-namespace-inherits-nothing).
    await apiOk(main.url, 'DELETE', '/repositories/reborn/app', 204, { auth: ADMIN });
    await apiOk(main.url, 'DELETE', '/accounts/reborn', 204, { auth: ADMIN });
    const body = { name: 'reborn', password: 'the-second-reborn' };
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body });
    await pushImageAs(main.url, 'reborn/app', 'v1', basicAuth('reborn', 'the-second-reborn'));

    const res = await pullManifest(main.url, 'reborn/app', oldToken);
    expect(res.status).toBe(401);
    const refused = (await res.json()) as { errors: Array<{ code: string; message: string }> };
    const message = 'the token was issued to an earlier account of this name';
    expect(refused.errors[0]).toMatchObject({ code: 'UNAUTHORIZED', message });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=.*error="invalid_token"/);

    const newToken = await tokenFor(main.url, basicAuth('reborn', 'the-second-reborn'), ['repository:reborn/app:pull']);
    expect(decodeJwt(newToken).uid).not.toBe(decodeJwt(oldToken).uid);
    expect((await pullManifest(main.url, 'reborn/app', newToken)).status).toBe(200);
  });

  it("refuses the old account's refresh token and session, and keeps the new account's", async () => {
    await createUser(main.url, 'twice');
    const old = await offlineTokens(main.url, basicAuth('twice', PASSWORD));
    const oldSession = await main.service.sessions.create('twice');

    await apiOk(main.url, 'DELETE', '/accounts/twice', 204, { auth: ADMIN });
    const body = { name: 'twice', password: 'the-second-twice' };
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body });

    const refreshed = await refresh(main.url, old.refresh_token!);
    expect(refreshed.status).toBe(401);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await api(main.url, 'GET', '/accounts/twice', withSession(oldSession.id))).status).toBe(401);

    const fresh = await offlineTokens(main.url, basicAuth('twice', 'the-second-twice'));
    expect((await refresh(main.url, fresh.refresh_token!)).status).toBe(200);
    const session = await main.service.sessions.create('twice');
    expect((await api(main.url, 'GET', '/accounts/twice', withSession(session.id))).status).toBe(200);
  });
});

describe('an account stored before ids existed', () => {
  let data: TempDir;

  beforeAll(async () => {
    data = await createTempDir('outpost-legacy-ids-');
  });
  afterAll(async () => {
    await data.remove();
  });

  it('keeps signing in and using its tokens, refresh tokens and sessions', async () => {
    const first = await startTestMain({ auth: true, dataDir: data.path });
    await createUser(first.url, 'oldtimer');
    await first.stop();
    // Strip the id, as a record written by an earlier version looks.
    const env = openMainEnvironment(join(data.path, 'db'));
    const { users } = openAccountTables(env.root);
    const { id: _id, ...legacy } = users.get('oldtimer')!;
    await users.put('oldtimer', legacy);
    await env.close();

    const again = await startTestMain({ auth: true, dataDir: data.path });
    try {
      const oldtimer = basicAuth('oldtimer', PASSWORD);
      await pushImageAs(again.url, 'oldtimer/app', 'v1', oldtimer);
      const got = await offlineTokens(again.url, oldtimer, ['repository:oldtimer/app:pull']);
      expect(decodeJwt(got.token).uid).toMatch(/^legacy-/);
      expect((await pullManifest(again.url, 'oldtimer/app', got.token)).status).toBe(200);
      expect((await refresh(again.url, got.refresh_token!)).status).toBe(200);
      const session = await again.service.sessions.create('oldtimer');
      expect((await api(again.url, 'GET', '/accounts/oldtimer', withSession(session.id))).status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});
