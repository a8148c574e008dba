/**
 * Issue 9, item 5: CSRF through browser-cached Basic credentials. A browser that once answered
 * the Basic prompt of /api/v0 sends those credentials with any request a web page makes it
 * send; a `text/plain` form posting JSON-looking fields could create an administrator.
 *
 * The rules: an unsafe request needs `Content-Type: application/json` (always for POST, and
 * for any other method that has a body; else 415 UNSUPPORTED_MEDIA_TYPE) and, when it sends an
 * `Origin`, main's own (else 403 NO_PERMISSION). A 401 challenges for Basic only when the
 * request sent Basic credentials, so a browser is never prompted in the first place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, api, apiOk, createOrg, expectApiError } from '../helpers/api-client.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

const accountExists = async (name: string) =>
  (await api(main.url, 'GET', `/accounts/${name}`, { auth: ADMIN })).status === 200;
const newAdmin = (name: string) => JSON.stringify({ name, password: PASSWORD, isAdmin: true });

describe('an unsafe request with cached Basic credentials from another site', () => {
  it('answers 415 UNSUPPORTED_MEDIA_TYPE to a text/plain form posting JSON, and creates nobody', async () => {
    const headers = { 'Content-Type': 'text/plain', Origin: 'http://evil.example' };
    const res = await api(main.url, 'POST', '/accounts', { auth: ADMIN, body: newAdmin('mallory'), headers });
    // The Origin alone refuses it; without one (an old browser) the type does.
    await expectApiError(res, 403, 'NO_PERMISSION', /cross-origin request from http:\/\/evil\.example refused/);
    // Every type a cross-site form or a no-CORS fetch can send.
    const formTypes = [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ];
    for (const type of formTypes) {
      const headers = { 'Content-Type': type };
      const plain = await api(main.url, 'POST', '/accounts', { auth: ADMIN, body: newAdmin('mallory'), headers });
      await expectApiError(plain, 415, 'UNSUPPORTED_MEDIA_TYPE', /must send Content-Type: application\/json/);
    }
    expect(await accountExists('mallory')).toBe(false);
  });

  it('answers 415 to a POST without a Content-Type, even without a body', async () => {
    const headers = { Authorization: ADMIN };
    const res = await fetch(`${main.url}/api/v0/accounts/admin/settings`, { method: 'POST', headers });
    await expectApiError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', /POST requests/);
  });

  it('answers 403 NO_PERMISSION to a JSON request from another origin, or from the "null" origin', async () => {
    for (const origin of ['http://evil.example', 'null', `${main.url}.evil.example`]) {
      const body = { name: 'mallory', password: PASSWORD, isAdmin: true };
      const res = await api(main.url, 'POST', '/accounts', { auth: ADMIN, body, headers: { Origin: origin } });
      await expectApiError(res, 403, 'NO_PERMISSION', /cross-origin request/);
    }
    const evil = { Origin: 'http://evil.example' };
    const remove = await api(main.url, 'DELETE', '/accounts/admin', { auth: ADMIN, headers: evil });
    await expectApiError(remove, 403, 'NO_PERMISSION', /cross-origin/);
    expect(await accountExists('mallory')).toBe(false);
    expect(await accountExists('admin')).toBe(true);
  });
});

describe("requests API clients and main's own pages send", () => {
  it("accepts JSON without an Origin (curl, scripts), with a charset, and from main's own origin", async () => {
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body: { name: 'curl-user', password: PASSWORD } });
    const withCharset = { 'Content-Type': 'application/json; charset=utf-8' };
    const charsetUser = { name: 'charset-user', password: PASSWORD };
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body: charsetUser, headers: withCharset });
    const sameOrigin = { Origin: main.url };
    const pageUser = { name: 'page-user', password: PASSWORD };
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body: pageUser, headers: sameOrigin });
  });

  it('accepts a PUT or DELETE without a body or a Content-Type (no browser sends one cross-site)', async () => {
    await createOrg(main.url, 'acme');
    await apiOk(main.url, 'POST', '/accounts/acme/teams', 201, { auth: ADMIN, body: { name: 'devs' } });
    await apiOk(main.url, 'PUT', '/accounts/acme/teams/devs/members/curl-user', 200, { auth: ADMIN });
    await apiOk(main.url, 'DELETE', '/accounts/acme/teams/devs/members/curl-user', 204, { auth: ADMIN });
    await apiOk(main.url, 'DELETE', '/accounts/charset-user', 204, { auth: ADMIN });
  });

  it('still answers GET without a Content-Type, whatever the Origin', async () => {
    const headers = { Origin: 'http://elsewhere.example' };
    const admin = await apiOk(main.url, 'GET', '/accounts/admin', 200, { auth: ADMIN, headers });
    expect(admin).toMatchObject({ name: 'admin' });
  });
});

describe('the Basic challenge on 401', () => {
  it('is not sent to a request without credentials (a browser is never prompted)', async () => {
    const res = await fetch(`${main.url}/api/v0/accounts`);
    expect(res.headers.get('www-authenticate')).toBeNull();
    await expectApiError(res, 401, 'UNAUTHORIZED', /sign in first/);
  });

  it('is sent to a request whose Basic credentials are wrong (curl -u, scripts)', async () => {
    const res = await api(main.url, 'GET', '/accounts', { auth: basicAuth('admin', 'wrong-password') });
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="outpost"');
    await expectApiError(res, 401, 'UNAUTHORIZED', /incorrect username or password/);
  });
});
