/**
 * @module CSRF protection for every form on the web pages.
 *
 * Every unsafe request (POST, ...) must carry the `_csrf` form field, and it must equal:
 * - the session's token, when the request comes with a session cookie (synchronizer token);
 * - or, on `/sign-in` only, the value of the short-lived sign-in cookie (double-submit: a
 *   cross-site page can make the browser send the cookie but cannot read it to fill the field).
 * Anything else is refused with the 403 "form expired" page before the handler runs. Signing
 * out without a session changes nothing, so `/sign-out` lets that case through.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { CSRF_FIELD } from './components.js';
import type { WebCookies } from './cookies.js';
import { csrfError, WebError } from './web-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function csrfProtection(cookies: WebCookies): MiddlewareHandler {
  return async function checkCsrf(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    if (!FORM_TYPES.some((t) => type.startsWith(t))) throw csrfError();
    const body = await c.req.parseBody().catch(() => {
      throw new WebError(
        'BAD_REQUEST',
        'Unreadable form',
        'The form data could not be read. Reload the page and try again.',
      );
    });
    const sent = body[CSRF_FIELD];
    const token = typeof sent === 'string' ? sent : undefined;
    const session = c.get('session');
    if (session && sameToken(token, session.csrfToken)) return next();
    if (c.req.path === '/sign-in' && sameToken(token, cookies.readSignInToken(c))) return next();
    if (c.req.path === '/sign-out' && !session) return next();
    throw csrfError();
  };
}
