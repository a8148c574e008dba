/**
 * Issue 9, item 4: a registry token grants what its `access` claim lists, on /v2, and nothing
 * more. A pull token for one repository used as `Authorization: Bearer` on /api/v0 could create
 * an administrator; /api/v0 and the web pages now refuse registry tokens (Basic credentials or
 * the session cookie only), while the same token keeps working for the pull it was issued for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, api, apiOk, createUser, expectApiError } from '../helpers/api-client.js';
import { bearer, pushImageAs, tokenFor } from '../helpers/auth-http.js';
import { textOf } from '../helpers/web-client.js';

let main: TestMain;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  bob = await createUser(main.url, 'bob');
  await pushImageAs(main.url, 'bob/app', 'v1', bob);
});
afterAll(async () => {
  await main.stop();
});

const accountExists = async (name: string) =>
  (await api(main.url, 'GET', `/accounts/${name}`, { auth: ADMIN })).status === 200;

describe('a registry token on /api/v0', () => {
  it("refuses an administrator's pull token for one repository: no account is created", async () => {
    const token = await tokenFor(main.url, ADMIN, ['repository:bob/app:pull']);
    const body = { name: 'mallory', password: PASSWORD, isAdmin: true };
    const res = await api(main.url, 'POST', '/accounts', { auth: bearer(token), body });
    await expectApiError(res, 401, 'UNAUTHORIZED', /registry tokens are only for \/v2/);
    expect(await accountExists('mallory')).toBe(false);
  });

  it("refuses a user's token for reads of the API too", async () => {
    const token = await tokenFor(main.url, bob, ['repository:bob/app:pull,push']);
    for (const path of ['/accounts/bob', '/repositories/bob/app']) {
      const res = await api(main.url, 'GET', path, { auth: bearer(token) });
      await expectApiError(res, 401, 'UNAUTHORIZED', /only for \/v2/);
    }
  });

  it('still accepts Basic credentials', async () => {
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body: { name: 'trudy', password: PASSWORD } });
    expect(await apiOk(main.url, 'GET', '/accounts/bob', 200, { auth: bob })).toMatchObject({ name: 'bob' });
  });
});

describe('a registry token on the web pages', () => {
  it('is refused with 401, not taken as a signed-in user', async () => {
    const token = await tokenFor(main.url, ADMIN, ['repository:bob/app:pull']);
    const headers = { Authorization: bearer(token) };
    const res = await fetch(`${main.url}/admin/users`, { headers, redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(textOf(await res.text())).toContain('only for /v2');
  });
});

describe('the same token on /v2', () => {
  it('still pulls what it was issued for, and nothing else', async () => {
    const token = await tokenFor(main.url, bob, ['repository:bob/app:pull']);
    const headers = { Authorization: bearer(token), Accept: 'application/vnd.oci.image.manifest.v1+json' };
    const pull = await fetch(`${main.url}/v2/bob/app/manifests/v1`, { headers });
    expect(pull.status).toBe(200);
    const push = await fetch(`${main.url}/v2/bob/app/blobs/uploads/`, { method: 'POST', headers });
    expect(push.status).toBe(401);
    expect(((await push.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAUTHORIZED');
  });
});
