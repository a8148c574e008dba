/**
 * @module `/profile`: the signed-in user's page; `/profile/password` to change the password
 * (the current one is checked through the throttled authenticator, as a sign-in is, then the
 * change goes through the account management service with the API's rules); and
 * `/profile/content-cache` to pick the cache pulls are redirected to (saved through the same
 * account management call as `POST /api/v0/accounts/<user>/settings`, which refuses names of
 * caches that are not registered).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { OciError } from '../../../src/oci/errors.js';
import { clientAddress } from '../../../src/http/node-bindings.js';
import { AccountError } from '../../accounts/errors.js';
import type { WebCookies } from '../cookies.js';
import { cacheStatus, organizationDefault, unknownCacheMessage } from '../content-cache-status.js';
import { ProfilePage } from '../profile.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { WebError } from '../web-error.js';
import { asSentence } from '../web-error-handler.js';
import { formText } from './form.js';
import { signedIn } from './guards.js';

export function profileRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  const { caches, probe } = deps.caches;

  /** The profile page, with the reason a form was refused when one was. */
  const showProfile = async (
    c: Context,
    refusal?: { passwordError?: string; cacheError?: string; status: 400 | 429 },
  ) => {
    const { principal, session } = signedIn(c);
    const user = await deps.accounts.getUser(principal.name);
    if (!user) throw new WebError('NOT_FOUND', 'Account not found', 'Your account no longer exists.');
    const registered = await caches.list();
    const preferences = await deps.accounts.cachePreferences(user.name);
    const body = (
      <ProfilePage
        user={user}
        organizations={preferences.organizations.map((org) => org.name)}
        csrfToken={session.csrfToken}
        passwordError={refusal?.passwordError}
        caches={registered.map((cache) => ({
          name: cache.name,
          ...(cache.region && { region: cache.region }),
          health: cacheStatus(probe, cache.name).state,
        }))}
        selectedCache={preferences.user}
        organizationDefault={organizationDefault(preferences, new Set(registered.map((cache) => cache.name)))}
        cacheError={refusal?.cacheError}
      />
    );
    return renderPage(c, cookies, { title: 'Your profile', section: 'profile', status: refusal?.status ?? 200 }, body);
  };
  const passwordRefused = (c: Context, passwordError: string, status: 400 | 429 = 400) =>
    showProfile(c, { passwordError, status });

  app.get('/profile', (c) => showProfile(c));

  app.post('/profile/content-cache', async (c) => {
    const { principal } = signedIn(c);
    const chosen = (await c.req.parseBody()).defaultContentCache;
    // Browsers send nothing when no radio button is checked (a saved cache that was removed since).
    if (typeof chosen !== 'string') return showProfile(c, { cacheError: 'Choose a cache, or None.', status: 400 });
    try {
      await deps.accountManagement.updateSettings(principal, principal.name, { defaultContentCache: chosen });
    } catch (err) {
      // The cache name is the only input, so a refusal of the input is a name that is not registered.
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return showProfile(c, { cacheError: unknownCacheMessage(chosen), status: 400 });
      throw err;
    }
    const text = chosen
      ? `Saved. Your pulls now fetch layers from ${chosen}.`
      : 'Saved. You have no content cache of your own now.';
    return redirectWithFlash(c, cookies, '/profile', { kind: 'success', text });
  });

  app.post('/profile/password', async (c) => {
    const { principal } = signedIn(c);
    const form = await c.req.parseBody();
    const current = formText(form, 'currentPassword');
    const next = formText(form, 'newPassword');
    if (!current || !next) return passwordRefused(c, 'Enter your current password and the new one.');
    if (next !== formText(form, 'confirmPassword'))
      return passwordRefused(c, 'The new password and its confirmation do not match.');
    try {
      await deps.authenticator.password(principal.name, current, clientAddress(c));
    } catch (err) {
      if (err instanceof OciError && err.code === 'UNAUTHORIZED')
        return passwordRefused(c, 'Your current password is not correct.');
      if (err instanceof OciError && err.code === 'TOOMANYREQUESTS')
        return passwordRefused(c, 'Too many wrong passwords. Wait a while and try again.', 429);
      throw err;
    }
    try {
      await deps.accountManagement.update(principal, principal.name, { password: next, oldPassword: current });
    } catch (err) {
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return passwordRefused(c, asSentence(err.message));
      throw err;
    }
    // A changed password ends every session and refresh token of the account (a thief's too);
    // this browser gets a fresh session so that the user stays signed in here.
    await deps.accounts.revokeCredentials(principal.name);
    const session = await deps.sessions.create(principal.name);
    cookies.setSession(c, session.id, session.expiresAt, deps.now());
    return redirectWithFlash(c, cookies, '/profile', {
      kind: 'success',
      text: 'Your password has been changed, and your other sessions were signed out.',
    });
  });

  return app;
}
