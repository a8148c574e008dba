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

describe('POST /api/v0/accounts', () => {
  it('creates a user (201) with its view, never its password', async () => {
    const view = await apiOk<Record<string, unknown>>(base, 'POST', '/accounts', 201, {
      auth: ADMIN,
      body: { type: 'user', name: 'dave', password: PASSWORD, fullName: 'Dave D', isAdmin: false, isActive: true },
    });
    expect(view).toEqual({
      type: 'user',
      name: 'dave',
      fullName: 'Dave D',
      isAdmin: false,
      isActive: true,
      createdAt: expect.any(String),
    });
    expect((await fetch(`${base}/v2/`, { headers: { Authorization: basicAuth('dave', PASSWORD) } })).status).toBe(200);
  });

  it('creates an organization, also in DTR form (isOrg)', async () => {
    expect(
      await apiOk(base, 'POST', '/accounts', 201, {
        auth: ADMIN,
        body: { type: 'organization', name: 'initech', fullName: 'Initech' },
      }),
    ).toEqual({
      type: 'organization',
      name: 'initech',
      fullName: 'Initech',
      createdAt: expect.any(String),
    });
    expect(
      await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { isOrg: true, name: 'globex' } }),
    ).toMatchObject({ type: 'organization', name: 'globex' });
  });

  it('answers 401 UNAUTHORIZED without credentials (no challenge), or wrong ones (Basic challenge)', async () => {
    const anonymous = await api(base, 'POST', '/accounts', { body: { name: 'x1', password: PASSWORD } });
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    await expectApiError(anonymous, 401, 'UNAUTHORIZED', /sign in/);
    const wrong = await api(base, 'POST', '/accounts', { auth: basicAuth('admin', 'wrong-password'), body: {} });
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="outpost"');
    await expectApiError(wrong, 401, 'UNAUTHORIZED', /incorrect username or password/);
    await expectApiError(await api(base, 'GET', '/accounts', { auth: 'Basic !!!' }), 401, 'UNAUTHORIZED', /malformed/);
    await expectApiError(await api(base, 'GET', '/accounts', { auth: 'Bearer not.a.token' }), 401, 'UNAUTHORIZED', /./);
  });

  it('answers 403 NO_PERMISSION to users who are not admins', async () => {
    await expectApiError(
      await api(base, 'POST', '/accounts', { auth: bob, body: { name: 'eve', password: PASSWORD } }),
      403,
      'NO_PERMISSION',
      /only administrators may create accounts/,
    );
  });

  it('answers 409 ALREADY_EXISTS for a name any account has', async () => {
    await expectApiError(
      await api(base, 'POST', '/accounts', { auth: ADMIN, body: { name: 'bob', password: PASSWORD } }),
      409,
      'ALREADY_EXISTS',
      /"bob" already exists/,
    );
    await expectApiError(
      await api(base, 'POST', '/accounts', { auth: ADMIN, body: { type: 'organization', name: 'bob' } }),
      409,
      'ALREADY_EXISTS',
      /"bob" already exists/,
    );
  });

  it('answers 400 INVALID_INPUT for bad names, passwords, fields and bodies', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'Bad Name', password: PASSWORD }, /user name must be lowercase/],
      [{ name: 'api', password: PASSWORD }, /"api" is reserved/],
      [{ name: 'frank' }, /password is required/],
      [{ name: 'frank', password: 'short' }, /password/],
      [{ password: PASSWORD }, /^name: /],
      [{ name: 'frank', password: PASSWORD, isAdmin: 'yes' }, /^isAdmin: /],
      [{ type: 'robot', name: 'frank', password: PASSWORD }, /^type: /],
      ['{"name": ', /not valid JSON/],
      ['[1,2]', /must be a JSON object/],
      ['null', /must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      await expectApiError(await api(base, 'POST', '/accounts', { auth: ADMIN, body }), 400, 'INVALID_INPUT', message);
    }
  });

  it('answers 413 TOO_LARGE for a body over 64 KiB', async () => {
    const res = await api(base, 'POST', '/accounts', { auth: ADMIN, body: 'x'.repeat(70_000) });
    await expectApiError(res, 413, 'TOO_LARGE', /larger than 65536 bytes/);
  });
});

describe('GET /api/v0/accounts', () => {
  it('lists every account, in name order, to admins', async () => {
    const { accounts } = await apiOk<{ accounts: Array<{ name: string; type: string }> }>(
      base,
      'GET',
      '/accounts',
      200,
      { auth: ADMIN },
    );
    const names = accounts.map((a) => a.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['admin', 'bob', 'carol', 'acme']));
  });

  it('shows other users only themselves and the organizations', async () => {
    const { accounts } = await apiOk<{ accounts: Array<{ name: string; type: string }> }>(
      base,
      'GET',
      '/accounts',
      200,
      { auth: bob },
    );
    expect(accounts.filter((a) => a.type === 'user').map((a) => a.name)).toEqual(['bob']);
    expect(accounts.map((a) => a.name)).toContain('acme');
  });

  it('answers 401 UNAUTHORIZED to anonymous callers', async () => {
    await expectApiError(await api(base, 'GET', '/accounts'), 401, 'UNAUTHORIZED', /sign in/);
  });
});

describe('GET /api/v0/accounts/<name>', () => {
  it('shows users themselves, organizations to anyone signed in, and everyone to admins', async () => {
    expect(await apiOk(base, 'GET', '/accounts/bob', 200, { auth: bob })).toMatchObject({
      type: 'user',
      name: 'bob',
      fullName: 'Bob B',
      isAdmin: false,
    });
    expect(await apiOk(base, 'GET', '/accounts/acme', 200, { auth: bob })).toMatchObject({
      type: 'organization',
      name: 'acme',
    });
    expect(await apiOk(base, 'GET', '/accounts/carol', 200, { auth: ADMIN })).toMatchObject({ name: 'carol' });
  });

  it('answers 403 NO_PERMISSION for another user, whether or not it exists', async () => {
    await expectApiError(
      await api(base, 'GET', '/accounts/carol', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may view other users/,
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/nobody', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may view other users/,
    );
  });

  it('answers 404 NOT_FOUND to admins for an unknown account', async () => {
    await expectApiError(
      await api(base, 'GET', '/accounts/nobody', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /account "nobody" does not exist/,
    );
  });
});

describe('PATCH /api/v0/accounts/<name>', () => {
  it('lets users change their full name', async () => {
    expect(
      await apiOk(base, 'PATCH', '/accounts/carol', 200, { auth: carol, body: { fullName: 'Carol C' } }),
    ).toMatchObject({ name: 'carol', fullName: 'Carol C' });
  });

  it('lets users change their password with the old one, and the old one stops working at once', async () => {
    await createUser(base, 'gina');
    const gina = basicAuth('gina', PASSWORD);
    await expectApiError(
      await api(base, 'PATCH', '/accounts/gina', { auth: gina, body: { password: 'new-password-123' } }),
      403,
      'NO_PERMISSION',
      /oldPassword/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/gina', {
        auth: gina,
        body: { password: 'new-password-123', oldPassword: 'wrong-one-123' },
      }),
      403,
      'NO_PERMISSION',
      /oldPassword/,
    );
    await apiOk(base, 'PATCH', '/accounts/gina', 200, {
      auth: gina,
      body: { password: 'new-password-123', oldPassword: PASSWORD },
    });
    await apiOk(base, 'GET', '/accounts/gina', 200, { auth: basicAuth('gina', 'new-password-123') });
    await expectApiError(
      await api(base, 'GET', '/accounts/gina', { auth: gina }),
      401,
      'UNAUTHORIZED',
      /incorrect username or password/,
    );
  });

  it('lets admins reset passwords and change admin and active flags', async () => {
    await createUser(base, 'hank');
    await apiOk(base, 'PATCH', '/accounts/hank', 200, { auth: ADMIN, body: { password: 'reset-password-1' } });
    const hank = basicAuth('hank', 'reset-password-1');
    expect(await apiOk(base, 'PATCH', '/accounts/hank', 200, { auth: ADMIN, body: { isAdmin: true } })).toMatchObject({
      isAdmin: true,
    });
    expect(await apiOk(base, 'GET', '/accounts', 200, { auth: hank })).toMatchObject({
      accounts: expect.arrayContaining([expect.objectContaining({ name: 'carol' })]),
    });
    expect(await apiOk(base, 'PATCH', '/accounts/hank', 200, { auth: ADMIN, body: { isActive: false } })).toMatchObject(
      { isActive: false },
    );
    await expectApiError(
      await api(base, 'GET', '/accounts/hank', { auth: hank }),
      401,
      'UNAUTHORIZED',
      /incorrect username or password/,
    );
  });

  it('answers 403 NO_PERMISSION when users change their own flags or someone else', async () => {
    await expectApiError(
      await api(base, 'PATCH', '/accounts/bob', { auth: bob, body: { isAdmin: true } }),
      403,
      'NO_PERMISSION',
      /only administrators may change isAdmin or isActive/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/carol', { auth: bob, body: { fullName: 'x' } }),
      403,
      'NO_PERMISSION',
      /bob may not manage the account "carol"/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/acme', { auth: bob, body: { fullName: 'x' } }),
      403,
      'NO_PERMISSION',
      /bob may not manage the account "acme"/,
    );
  });

  it("changes an organization's full name, and nothing else", async () => {
    expect(
      await apiOk(base, 'PATCH', '/accounts/acme', 200, { auth: ADMIN, body: { fullName: 'Acme Corp' } }),
    ).toMatchObject({ type: 'organization', fullName: 'Acme Corp' });
    await expectApiError(
      await api(base, 'PATCH', '/accounts/acme', { auth: ADMIN, body: { password: 'whatever-123' } }),
      400,
      'INVALID_INPUT',
      /only a fullName/,
    );
  });

  it('refuses to demote or deactivate the last active admin (400 INVALID_INPUT)', async () => {
    const { accounts } = await apiOk<{ accounts: Array<{ name: string; isAdmin?: boolean; isActive?: boolean }> }>(
      base,
      'GET',
      '/accounts',
      200,
      { auth: ADMIN },
    );
    expect(accounts.filter((a) => a.isAdmin && a.isActive).map((a) => a.name)).toEqual(['admin']);
    await expectApiError(
      await api(base, 'PATCH', '/accounts/admin', { auth: ADMIN, body: { isAdmin: false } }),
      400,
      'INVALID_INPUT',
      /last active administrator/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/admin', { auth: ADMIN, body: { isActive: false } }),
      400,
      'INVALID_INPUT',
      /last active administrator/,
    );
  });

  it('answers 404 NOT_FOUND for an unknown account and 400 INVALID_INPUT for a bad body', async () => {
    await expectApiError(
      await api(base, 'PATCH', '/accounts/nobody', { auth: ADMIN, body: { fullName: 'x' } }),
      404,
      'NOT_FOUND',
      /"nobody" does not exist/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/bob', { auth: ADMIN, body: { isActive: 'no' } }),
      400,
      'INVALID_INPUT',
      /^isActive: /,
    );
    await expectApiError(
      await api(base, 'PATCH', '/accounts/bob', { auth: ADMIN, body: '{' }),
      400,
      'INVALID_INPUT',
      /not valid JSON/,
    );
  });
});
