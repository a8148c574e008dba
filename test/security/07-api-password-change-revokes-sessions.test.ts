/**
 * Issue 9, item 7: a password changed through /api/v0 ends the account's web sessions and
 * refresh tokens (a thief's among them), for a self-service change and an admin's reset alike,
 * as the web form and `outpost main user passwd` already did. Other accounts keep theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, api, apiOk, createUser } from '../helpers/api-client.js';
import { getToken, postToken, type TokenBody } from '../helpers/auth-http.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

/** A web session and a refresh token of `name`, as a thief might hold them. */
async function credentialsOf(name: string, password: string): Promise<{ sessionId: string; refreshToken: string }> {
  const session = await main.service.sessions.create(name);
  const res = await getToken(main.url, { authorization: basicAuth(name, password), offline: true });
  const { refresh_token } = (await res.json()) as TokenBody;
  expect(refresh_token).toBeTruthy();
  return { sessionId: session.id, refreshToken: refresh_token! };
}

const refresh = (refreshToken: string) =>
  postToken(main.url, { grant_type: 'refresh_token', refresh_token: refreshToken, service: 'outpost' });
const sessionWorks = async (sessionId: string) =>
  (await api(main.url, 'GET', '/accounts', { headers: { Cookie: `outpost_session=${sessionId}` } })).status === 200;

describe('PATCH /api/v0/accounts/<name> with a new password', () => {
  it("by the user themself ends the account's sessions and refresh tokens", async () => {
    const carol = await createUser(main.url, 'carol');
    const stolen = await credentialsOf('carol', PASSWORD);
    expect(await sessionWorks(stolen.sessionId)).toBe(true);
    expect((await refresh(stolen.refreshToken)).status).toBe(200);

    const body = { password: 'a-brand-new-password', oldPassword: PASSWORD };
    await apiOk(main.url, 'PATCH', '/accounts/carol', 200, { auth: carol, body });

    expect(await sessionWorks(stolen.sessionId)).toBe(false);
    const res = await refresh(stolen.refreshToken);
    expect(res.status).toBe(401);
    const refused = { error: 'invalid_grant', error_description: 'refresh token is invalid or expired' };
    expect(await res.json()).toEqual(refused);
    // The new password signs in and gets new ones.
    const fresh = await credentialsOf('carol', 'a-brand-new-password');
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
  });

  it("by an administrator (a reset) ends them too, and leaves other accounts' alone", async () => {
    await createUser(main.url, 'dave');
    await createUser(main.url, 'erin');
    const daves = await credentialsOf('dave', PASSWORD);
    const erins = await credentialsOf('erin', PASSWORD);

    await apiOk(main.url, 'PATCH', '/accounts/dave', 200, { auth: ADMIN, body: { password: 'reset-by-the-admin' } });

    expect(await sessionWorks(daves.sessionId)).toBe(false);
    expect((await refresh(daves.refreshToken)).status).toBe(401);
    expect(await sessionWorks(erins.sessionId)).toBe(true);
    expect((await refresh(erins.refreshToken)).status).toBe(200);
  });

  it('by deactivating the account ends them, so that reactivating it revives none', async () => {
    await createUser(main.url, 'gina');
    const ginas = await credentialsOf('gina', PASSWORD);
    await apiOk(main.url, 'PATCH', '/accounts/gina', 200, { auth: ADMIN, body: { isActive: false } });
    await apiOk(main.url, 'PATCH', '/accounts/gina', 200, { auth: ADMIN, body: { isActive: true } });

    expect(await sessionWorks(ginas.sessionId)).toBe(false);
    expect((await refresh(ginas.refreshToken)).status).toBe(401);
    // Her password still signs her in again.
    const fresh = await credentialsOf('gina', PASSWORD);
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
  });

  it('keeps sessions and refresh tokens when something else changes', async () => {
    await createUser(main.url, 'frank');
    const franks = await credentialsOf('frank', PASSWORD);
    await apiOk(main.url, 'PATCH', '/accounts/frank', 200, { auth: ADMIN, body: { fullName: 'Frank' } });
    expect(await sessionWorks(franks.sessionId)).toBe(true);
    expect((await refresh(franks.refreshToken)).status).toBe(200);
  });
});
