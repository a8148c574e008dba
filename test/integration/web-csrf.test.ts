import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createUser } from '../helpers/api-client.js';
import { csrfFieldOf, textOf, WebClient, type WebPage } from '../helpers/web-client.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob');
});
afterAll(async () => {
  await main.stop();
});

/** The refusal: the 403 page (HTML, never a 500 or JSON) and nothing changed. */
function expectCsrfRefusal(res: WebPage): void {
  expect(res.status, textOf(res.html).slice(0, 300)).toBe(403);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(textOf(res.html)).toContain('This form has expired');
  expect(textOf(res.html)).toContain('nothing was changed');
}

const userExists = async (name: string) =>
  (await fetch(`${main.url}/api/v0/accounts/${name}`, { headers: { Authorization: ADMIN } })).status === 200;

describe('the sign-in form (double-submit cookie)', () => {
  it('refuses a post without the field, without the cookie, or with a different value', async () => {
    const web = new WebClient(main.url);
    const token = csrfFieldOf((await web.get('/sign-in')).html);
    expectCsrfRefusal(await web.postRaw('/sign-in', { username: 'admin', password: TEST_ADMIN_PASSWORD }));
    expectCsrfRefusal(
      await web.postRaw('/sign-in', {
        _csrf: `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`,
        username: 'admin',
        password: TEST_ADMIN_PASSWORD,
      }),
    );
    const noCookie = new WebClient(main.url);
    expectCsrfRefusal(
      await noCookie.postRaw('/sign-in', { _csrf: token, username: 'admin', password: TEST_ADMIN_PASSWORD }),
    );
    expect(web.cookies.has('outpost_session')).toBe(false);
    expect(noCookie.cookies.has('outpost_session')).toBe(false);
  });

  it('refuses a forged login from another site (cookie sent, field guessed)', async () => {
    const victim = new WebClient(main.url);
    await victim.get('/sign-in');
    expectCsrfRefusal(
      await victim.postRaw('/sign-in', { _csrf: 'attacker-guess', username: 'bob', password: PASSWORD }),
    );
  });
});

describe('forms of a signed-in session (synchronizer token)', () => {
  it("refuse a post without the token, with a wrong one, or with another session's token", async () => {
    const admin = new WebClient(main.url);
    await admin.signInAsAdmin();
    const other = new WebClient(main.url);
    await other.signIn('bob', PASSWORD);
    const othersToken = csrfFieldOf((await other.get('/profile')).html);
    const fields = { name: 'forged', password: PASSWORD };
    expectCsrfRefusal(await admin.postRaw('/admin/users', fields));
    expectCsrfRefusal(await admin.postRaw('/admin/users', { ...fields, _csrf: '' }));
    expectCsrfRefusal(await admin.postRaw('/admin/users', { ...fields, _csrf: 'x'.repeat(32) }));
    expectCsrfRefusal(await admin.postRaw('/admin/users', { ...fields, _csrf: othersToken }));
    expect(await userExists('forged')).toBe(false);
    // The right token does it.
    expect((await admin.submit('/admin/users', '/admin/users', fields)).status).toBe(303);
    expect(await userExists('forged')).toBe(true);
  });

  it('refuse bodies that are not forms (JSON, text) and unreadable forms with a 4xx page', async () => {
    const web = new WebClient(main.url);
    await web.signIn('bob', PASSWORD);
    const token = csrfFieldOf((await web.get('/profile')).html);
    for (const [type, body] of [
      [
        'application/json',
        JSON.stringify({
          _csrf: token,
          currentPassword: PASSWORD,
          newPassword: 'x'.repeat(10),
          confirmPassword: 'x'.repeat(10),
        }),
      ],
      ['text/plain', `_csrf=${token}`],
    ] as const) {
      expectCsrfRefusal(
        await web.request('POST', '/profile/password', { body: body, headers: { 'Content-Type': type } }),
      );
    }
    const broken = await web.request('POST', '/profile/password', {
      body: '--x\r\nbroken',
      headers: { 'Content-Type': 'multipart/form-data; boundary=nope' },
    });
    expect([400, 403]).toContain(broken.status);
    expect(broken.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('refuse a token after sign-out (the session is gone)', async () => {
    const web = new WebClient(main.url);
    await web.signIn('bob', PASSWORD);
    const token = csrfFieldOf((await web.get('/profile')).html);
    await web.postRaw('/sign-out', { _csrf: token });
    expectCsrfRefusal(
      await web.postRaw('/profile/password', {
        _csrf: token,
        currentPassword: PASSWORD,
        newPassword: 'another-password',
        confirmPassword: 'another-password',
      }),
    );
  });

  it('an oversized form gets the 413 page, not a crash', async () => {
    const web = new WebClient(main.url);
    await web.signIn('bob', PASSWORD);
    const token = csrfFieldOf((await web.get('/profile')).html);
    const res = await web.postRaw('/profile/password', { _csrf: token, currentPassword: 'x'.repeat(100_000) });
    expect(res.status).toBe(413);
    expect(textOf(res.html)).toContain('Form too large');
  });
});

describe('pages carry protective headers', () => {
  it('no framing, a strict CSP, no caching of personal pages', async () => {
    const page = await new WebClient(main.url).get('/sign-in');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).toMatch(/form-action 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });
});
