/**
 * @module `/profile`: the signed-in user's page, and `/profile/password` to change the password
 * (the current one is checked through the throttled authenticator, as a sign-in is, then the
 * change goes through the account management service with the API's rules).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { OciError } from '../../../src/oci/errors.js';
import { clientAddress } from '../../../src/http/node-bindings.js';
import { AccountError } from '../../accounts/errors.js';
import type { WebCookies } from '../cookies.js';
import { ProfilePage } from '../profile.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { WebError } from '../web-error.js';
import { asSentence } from '../web-error-handler.js';
import { formText } from './form.js';
import { signedIn } from './guards.js';

export function profileRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  const showProfile = (c: Context, passwordError?: string, status: 200 | 400 | 429 = 200) => {
    const { principal, session } = signedIn(c);
    const user = deps.accounts.getUser(principal.name);
    if (!user) throw new WebError('NOT_FOUND', 'Account not found', 'Your account no longer exists.');
    const body = (
      <ProfilePage
        user={user}
        organizations={deps.accounts.orgsOf(user.name)}
        csrfToken={session.csrfToken}
        passwordError={passwordError}
        caches={deps.contentCaches?.()}
        selectedCache={deps.accounts.getSettings(user.name).defaultContentCache}
      />
    );
    return renderPage(c, cookies, { title: 'Your profile', section: 'profile', status }, body);
  };

  app.get('/profile', (c) => showProfile(c));

  app.post('/profile/password', async (c) => {
    const { principal } = signedIn(c);
    const form = await c.req.parseBody();
    const current = formText(form, 'currentPassword');
    const next = formText(form, 'newPassword');
    if (!current || !next) return showProfile(c, 'Enter your current password and the new one.', 400);
    if (next !== formText(form, 'confirmPassword')) return showProfile(c, 'The new password and its confirmation do not match.', 400);
    try {
      await deps.authenticator.password(principal.name, current, clientAddress(c));
    } catch (err) {
      if (err instanceof OciError && err.code === 'UNAUTHORIZED') return showProfile(c, 'Your current password is not correct.', 400);
      if (err instanceof OciError && err.code === 'TOOMANYREQUESTS') return showProfile(c, 'Too many wrong passwords. Wait a while and try again.', 429);
      throw err;
    }
    try {
      await deps.accountManagement.update(principal, principal.name, { password: next, oldPassword: current });
    } catch (err) {
      if (err instanceof AccountError && err.code === 'INVALID_INPUT') return showProfile(c, asSentence(err.message), 400);
      throw err;
    }
    // A changed password ends every session and refresh token of the account (a thief's too);
    // this browser gets a fresh session so that the user stays signed in here.
    await deps.accounts.revokeCredentials(principal.name);
    const session = await deps.sessions.create(principal.name);
    cookies.setSession(c, session.id, session.expiresAt, deps.now());
    return redirectWithFlash(c, cookies, '/profile', { kind: 'success', text: 'Your password has been changed, and your other sessions were signed out.' });
  });

  return app;
}
