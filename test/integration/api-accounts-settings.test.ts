/**
 * /api/v0/accounts, continued from api-accounts.test.ts: removal, per-user settings, the
 * credentials the API takes, and its behaviour around the resources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, api, apiOk, createOrg, createUser, expectApiError } from '../helpers/api-client.js';

let main: TestMain;
let base: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  bob = await createUser(base, 'bob', { fullName: 'Bob B' });
  carol = await createUser(base, 'carol');
  await createOrg(base, 'acme');
  for (const name of ['eu-west', 'us-east', 'ap-south']) {
    await main.service.caches.caches.create({ name, host: `http://127.0.0.1:9/${name}` });
  }
});
afterAll(async () => {
  await main.stop();
});

describe('DELETE /api/v0/accounts/<name>', () => {
  it('lets admins remove users (204), after which they are gone', async () => {
    await createUser(base, 'ivan');
    const res = await api(base, 'DELETE', '/accounts/ivan', { auth: ADMIN });
    expect(res.status).toBe(204);
    await expectApiError(
      await api(base, 'GET', '/accounts/ivan', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /"ivan" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts', { auth: basicAuth('ivan', PASSWORD) }),
      401,
      'UNAUTHORIZED',
      /incorrect/,
    );
  });

  it('lets organization admins remove their organization', async () => {
    await createOrg(base, 'doomed');
    await apiOk(base, 'PUT', '/accounts/doomed/members/carol', 200, { auth: ADMIN, body: { isAdmin: true } });
    expect((await api(base, 'DELETE', '/accounts/doomed', { auth: carol })).status).toBe(204);
    await expectApiError(
      await api(base, 'GET', '/accounts/doomed', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /"doomed" does not exist/,
    );
  });

  it('answers 403 NO_PERMISSION to users removing accounts', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/accounts/carol', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may remove users/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/accounts/acme', { auth: bob }),
      403,
      'NO_PERMISSION',
      /may not manage the account "acme"/,
    );
  });

  it('refuses to remove the last active admin, and answers 404 for unknown accounts', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/accounts/admin', { auth: ADMIN }),
      400,
      'INVALID_INPUT',
      /last active administrator/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/accounts/nobody', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /"nobody" does not exist/,
    );
  });
});

describe('GET/POST /api/v0/accounts/<name>/settings', () => {
  it('reads and stores the default content cache for the user themself', async () => {
    expect(await apiOk(base, 'GET', '/accounts/bob/settings', 200, { auth: bob })).toEqual({ defaultContentCache: '' });
    expect(
      await apiOk(base, 'POST', '/accounts/bob/settings', 200, { auth: bob, body: { defaultContentCache: 'eu-west' } }),
    ).toEqual({ defaultContentCache: 'eu-west' });
    expect(await apiOk(base, 'GET', '/accounts/bob/settings', 200, { auth: bob })).toEqual({
      defaultContentCache: 'eu-west',
    });
  });

  it("lets admins read and change anyone's settings, organizations' included", async () => {
    expect(
      await apiOk(base, 'POST', '/accounts/carol/settings', 200, {
        auth: ADMIN,
        body: { defaultContentCache: 'us-east' },
      }),
    ).toEqual({ defaultContentCache: 'us-east' });
    expect(
      await apiOk(base, 'POST', '/accounts/acme/settings', 200, {
        auth: ADMIN,
        body: { defaultContentCache: 'ap-south' },
      }),
    ).toEqual({ defaultContentCache: 'ap-south' });
    expect(await apiOk(base, 'GET', '/accounts/acme/settings', 200, { auth: ADMIN })).toEqual({
      defaultContentCache: 'ap-south',
    });
  });

  it("answers 403 for someone else's settings, 404 for an unknown account, 400 for a bad value", async () => {
    await expectApiError(
      await api(base, 'GET', '/accounts/carol/settings', { auth: bob }),
      403,
      'NO_PERMISSION',
      /may not manage the account "carol"/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/carol/settings', { auth: bob, body: { defaultContentCache: 'x' } }),
      403,
      'NO_PERMISSION',
      /may not manage/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/nobody/settings', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /"nobody" does not exist/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/nobody/settings', { auth: ADMIN, body: {} }),
      404,
      'NOT_FOUND',
      /"nobody" does not exist/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts/bob/settings', { auth: bob, body: { defaultContentCache: 7 } }),
      400,
      'INVALID_INPUT',
      /^defaultContentCache: /,
    );
  });

  it('refuses a cache name that is not registered, and accepts "" for none', async () => {
    await expectApiError(
      await api(base, 'POST', '/accounts/bob/settings', { auth: bob, body: { defaultContentCache: 'mars' } }),
      400,
      'INVALID_INPUT',
      /"mars" is not a registered content cache \(known: .*eu-west/,
    );
    expect(
      await apiOk(base, 'POST', '/accounts/bob/settings', 200, { auth: bob, body: { defaultContentCache: '' } }),
    ).toEqual({ defaultContentCache: '' });
  });
});

describe('other credentials: bearer tokens and the session cookie', () => {
  it('refuses a registry bearer token (they are for /v2 only: test/security/04)', async () => {
    const res = await fetch(`${base}/auth/token?service=outpost`, { headers: { Authorization: bob } });
    const { token } = (await res.json()) as { token: string };
    const res2 = await api(base, 'GET', '/accounts/bob', { auth: `Bearer ${token}` });
    await expectApiError(res2, 401, 'UNAUTHORIZED', /only for \/v2/);
  });

  it('accepts the session cookie, and requires X-CSRF-Token on unsafe methods', async () => {
    const session = await main.service.sessions.create('bob');
    const cookie = { Cookie: `outpost_session=${session.id}` };
    expect(await apiOk(base, 'GET', '/accounts/bob', 200, { headers: cookie })).toMatchObject({ name: 'bob' });
    await expectApiError(
      await api(base, 'PATCH', '/accounts/bob', { headers: cookie, body: { fullName: 'B' } }),
      403,
      'NO_PERMISSION',
      /X-CSRF-Token/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/bob', {
        headers: { ...cookie, 'X-CSRF-Token': 'forged' },
        body: { fullName: 'B' },
      }),
      403,
      'NO_PERMISSION',
      /X-CSRF-Token/,
    );
    const ok = await apiOk(base, 'PATCH', '/accounts/bob', 200, {
      headers: { ...cookie, 'X-CSRF-Token': session.csrfToken },
      body: { fullName: 'Bobby' },
    });
    expect(ok).toMatchObject({ fullName: 'Bobby' });
  });

  it('treats an expired or unknown session as anonymous', async () => {
    await expectApiError(
      await api(base, 'GET', '/accounts/bob', { headers: { Cookie: 'outpost_session=unknown' } }),
      401,
      'UNAUTHORIZED',
      /sign in/,
    );
  });
});

describe('the API around the resources', () => {
  it('answers GET /_ping with OK', async () => {
    const res = await fetch(`${base}/_ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
  });

  it('answers unknown endpoints with 404 NOT_FOUND in its own envelope', async () => {
    await expectApiError(
      await api(base, 'GET', '/nonsense', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /no such endpoint: GET \/api\/v0\/nonsense/,
    );
    await expectApiError(
      await api(base, 'PUT', '/accounts', { auth: ADMIN, body: {} }),
      404,
      'NOT_FOUND',
      /no such endpoint/,
    );
  });
});
