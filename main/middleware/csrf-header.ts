/**
 * @module CSRF protection for requests signed in by the session cookie: an unsafe method must
 * echo the session's CSRF token (the management API takes it in the `X-CSRF-Token` header; the
 * web pages' forms carry the same token in a field). Requests with an `Authorization` header
 * carry no cookie session (see authenticate.ts) and need no token: a browser never adds one
 * on its own.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AccountError } from '../accounts/errors.js';
import type { Session } from '../auth/sessions.js';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `presented` is the session's CSRF token (constant-time). */
export function csrfTokenMatches(session: Session, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Refuses unsafe requests of a cookie session without the right `X-CSRF-Token` (403 NO_PERMISSION). */
export function requireCsrfHeader(): MiddlewareHandler {
  return async function checkCsrfHeader(c, next) {
    const session = c.var.session;
    if (session && !SAFE_METHODS.has(c.req.method) && !csrfTokenMatches(session, c.req.header('x-csrf-token'))) {
      throw new AccountError('NO_PERMISSION', 'requests signed in with the session cookie must send the X-CSRF-Token header of the session');
    }
    await next();
  };
}
