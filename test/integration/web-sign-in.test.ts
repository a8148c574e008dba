import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createUser } from '../helpers/api-client.js';
import { csrfFieldOf, textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob', { fullName: 'Bob Builder' });
  await createUser(main.url, 'mallory');
});
afterAll(async () => {
  await main.stop();
});

const cookieNamed = (setCookies: string[], name: string) => setCookies.find((c) => c.startsWith(`${name}=`));

describe('GET /sign-in', () => {
  it('shows the form with a CSRF field matching a short-lived httpOnly cookie', async () => {
    const page = await new WebClient(main.url).get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page.html).toMatch(/<label for="f-username">Username<\/label>/);
    expect(page.html).toMatch(/<input[^>]*type="password"/);
    const cookie = cookieNamed(page.setCookies, 'outpost_signin_csrf')!;
    expect(cookie).toContain(`outpost_signin_csrf=${csrfFieldOf(page.html)}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=\d+/);
  });

  it('sends a signed-in user straight on', async () => {
    const web = new WebClient(main.url);
    await web.signInAsAdmin();
    const page = await web.get('/sign-in?next=%2Fprofile');
    expect(page.status).toBe(303);
    expect(page.location).toBe('/profile');
  });
});

describe('POST /sign-in', () => {
  it('starts a session (httpOnly, SameSite=Lax, Path=/, not Secure over http) and redirects home', async () => {
    const web = new WebClient(main.url);
    const res = await web.signIn('bob', PASSWORD);
    expect(res.location).toBe('/');
    const cookie = cookieNamed(res.setCookies, 'outpost_session')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const profile = await web.get('/profile');
    expect(profile.status).toBe(200);
    expect(textOf(profile.html)).toContain('Signed in as bob');
    expect(textOf(profile.html)).toContain('Bob Builder');
  });

  it('goes back to the page that asked for the sign-in, but never to another site', async () => {
    const web = new WebClient(main.url);
    const asked = await web.get('/profile');
    expect(asked.status).toBe(302);
    expect(asked.location).toBe('/sign-in?next=%2Fprofile');
    expect((await web.signIn('bob', PASSWORD, '/profile')).location).toBe('/profile');
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      expect((await new WebClient(main.url).signIn('bob', PASSWORD, next)).location).toBe('/');
    }
  });

  it('answers a wrong password with the form and a clear message, and no session', async () => {
    const web = new WebClient(main.url);
    const res = await web.submit('/sign-in', '/sign-in', { username: 'bob', password: 'not-the-password' });
    expect(res.status).toBe(400);
    expect(textOf(res.html)).toContain('Incorrect username or password.');
    expect(res.html).toContain('value="bob"');
    expect(web.cookies.has('outpost_session')).toBe(false);
    const empty = await web.submit('/sign-in', '/sign-in', { username: '', password: '' });
    expect(empty.status).toBe(400);
    expect(textOf(empty.html)).toContain('Enter your username and password.');
  });

  it('refuses a deactivated user like a wrong password', async () => {
    await fetch(`${main.url}/api/v0/accounts/mallory`, {
      method: 'PATCH',
      headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ isActive: false }),
    });
    const res = await new WebClient(main.url).submit('/sign-in', '/sign-in', {
      username: 'mallory',
      password: PASSWORD,
    });
    expect(res.status).toBe(400);
    expect(textOf(res.html)).toContain('Incorrect username or password.');
  });

  it('answers 429 with a clear message once an account has failed too often', async () => {
    await createUser(main.url, 'target');
    const web = new WebClient(main.url);
    const token = csrfFieldOf((await web.get('/sign-in')).html);
    // In parallel, so that the throttle's growing delay applies to none of them; each a different
    // guess, since the same password sent at once is checked (and counted) only once.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        web.postRaw('/sign-in', { _csrf: token, username: 'target', password: `guess-guess-${i}` }),
      ),
    );
    const res = await web.postRaw('/sign-in', { _csrf: token, username: 'target', password: PASSWORD });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(res.html)).toMatch(/Too many failed sign-in attempts\. Wait \d+ minutes and try again\./);
    expect(web.cookies.has('outpost_session')).toBe(false);
  });
});

describe('POST /sign-out', () => {
  it('ends the session: the cookie is cleared and the old cookie no longer signs in', async () => {
    const web = new WebClient(main.url);
    await web.signIn('bob', PASSWORD);
    const stolen = web.cookies.get('outpost_session')!;
    const res = await web.submit('/profile', '/sign-out', {});
    expect(res.status).toBe(303);
    expect(res.location).toBe('/sign-in');
    expect(cookieNamed(res.setCookies, 'outpost_session')).toMatch(/Max-Age=0/);
    const after = await web.get('/sign-in');
    expect(textOf(after.html)).toContain('You have been signed out.');

    const replay = new WebClient(main.url);
    replay.cookies.set('outpost_session', stolen);
    expect((await replay.get('/profile')).status).toBe(302);
  });

  it('with no session left, just goes to the sign-in page', async () => {
    const res = await new WebClient(main.url).postRaw('/sign-out', {});
    expect(res.status).toBe(303);
    expect(res.location).toBe('/sign-in');
  });
});

describe('the header', () => {
  it('shows the signed-in user, a sign-out button, and Administration only to admins', async () => {
    const admin = new WebClient(main.url);
    await admin.signIn('admin', TEST_ADMIN_PASSWORD);
    const adminPage = textOf((await admin.get('/repositories')).html);
    expect(adminPage).toContain('Administration');
    expect(adminPage).toContain('Sign out');

    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    const bobPage = textOf((await bob.get('/repositories')).html);
    expect(bobPage).toContain('bob');
    expect(bobPage).not.toContain('Administration');

    const anonymous = textOf((await new WebClient(main.url).get('/repositories')).html);
    expect(anonymous).toContain('Sign in');
    expect(anonymous).not.toContain('Sign out');
  });
});

describe('cookies behind https', () => {
  it("are Secure when main's public URL is https", async () => {
    const tls = await startTestMain({ auth: true, env: { OUTPOST_MAIN_PUBLIC_URL: 'https://registry.example.test' } });
    try {
      const web = new WebClient(tls.url);
      const form = await web.get('/sign-in');
      expect(cookieNamed(form.setCookies, 'outpost_signin_csrf')).toMatch(/Secure/);
      const res = await web.signIn('admin', TEST_ADMIN_PASSWORD);
      expect(cookieNamed(res.setCookies, 'outpost_session')).toMatch(/; Secure/);
    } finally {
      await tls.stop();
    }
  });
});
