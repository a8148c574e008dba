/**
 * @module `/sign-in` and `/sign-out`. Signing in checks the password through the same
 * throttled authenticator as registry clients, then starts a fresh session (never reusing the
 * cookie the browser came with); signing out ends it.
 */
import { Hono } from 'hono';
import { OciError } from '../../../src/oci/errors.js';
import { clientAddress } from '../../../src/http/node-bindings.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage, viewerOf } from '../render.js';
import { SignInPage } from '../sign-in.js';
import type { WebDeps } from '../web-deps.js';
import { formText } from './form.js';
import { localPath } from './local-path.js';

function waitMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return minutes <= 1 ? 'about a minute' : `${minutes} minutes`;
}

export function sessionRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  app.get('/sign-in', (c) => {
    const next = localPath(c.req.query('next'));
    if (viewerOf(c)) return c.redirect(next, 303);
    return renderPage(
      c,
      cookies,
      { title: 'Sign in', section: 'sign-in' },
      <SignInPage csrfToken={cookies.signInToken(c)} next={next} />,
    );
  });

  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const username = formText(form, 'username').trim();
    const password = formText(form, 'password');
    const next = localPath(form.next);
    const showAgain = (status: 400 | 429 | 503, error: string) =>
      renderPage(
        c,
        cookies,
        { title: 'Sign in', section: 'sign-in', status },
        <SignInPage csrfToken={cookies.signInToken(c)} next={next} username={username} error={error} />,
      );

    if (!username || !password) return showAgain(400, 'Enter your username and password.');
    let user;
    try {
      user = await deps.authenticator.password(username, password, clientAddress(c));
    } catch (err) {
      if (!(err instanceof OciError)) throw err;
      if (err.code === 'UNAUTHORIZED') return showAgain(400, 'Incorrect username or password.');
      if (err.code === 'UNAVAILABLE')
        return showAgain(503, 'The directory (LDAP) cannot be reached to check your password. Try again later.');
      if (err.code === 'TOOMANYREQUESTS') {
        const retryAfter = Number(err.headers['Retry-After'] ?? 60);
        c.header('Retry-After', String(retryAfter));
        return showAgain(429, `Too many failed sign-in attempts. Wait ${waitMessage(retryAfter)} and try again.`);
      }
      throw err;
    }
    const previous = c.get('session');
    if (previous) await deps.sessions.destroy(previous.id);
    const session = await deps.sessions.create(user.name);
    cookies.setSession(c, session.id, session.expiresAt, deps.now());
    cookies.clearSignInToken(c);
    return c.redirect(next, 303);
  });

  app.post('/sign-out', async (c) => {
    const session = c.get('session');
    if (session) await deps.sessions.destroy(session.id);
    cookies.clearSession(c);
    return redirectWithFlash(c, cookies, '/sign-in', { kind: 'success', text: 'You have been signed out.' });
  });

  return app;
}
