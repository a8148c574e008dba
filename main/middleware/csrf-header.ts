/**
 * @module CSRF protection for requests signed in by the session cookie: an unsafe method must
 * echo the session's CSRF token (the management API takes it in the `X-CSRF-Token` header; the
 * web pages' forms carry the same token in a field). Requests with an `Authorization` header
 * carry no cookie session (see authenticate.ts) and need no token: a browser never adds one
 * on its own, except Basic credentials it cached from an earlier prompt. Against those,
 * `refuseCrossSiteWrites` makes an unsafe request need what no cross-site form or no-CORS fetch
 * can send: a JSON body type, and a same-origin `Origin` whenever one is sent.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { hasBody } from '../../src/http/body.js';
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
      throw new AccountError(
        'NO_PERMISSION',
        'requests signed in with the session cookie must send the X-CSRF-Token header of the session',
      );
    }
    await next();
  };
}

const isJson = (type: string | undefined) => (type ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';

/**
 * Refuses unsafe requests a page on another site could make a browser send (issue 9, item 5):
 * - with an `Origin` other than main's (its public URL, or the Host it was reached by):
 *   403 NO_PERMISSION. Browsers send `Origin` on every cross-origin POST; curl and scripts
 *   send none and pass.
 * - a POST that is not `Content-Type: application/json`, or another unsafe method with a body
 *   of another type: 415 UNSUPPORTED_MEDIA_TYPE. Forms can only send urlencoded, multipart or
 *   text/plain POSTs; any other type, and any PUT, PATCH or DELETE, needs a CORS preflight that
 *   main never grants, so a body-less DELETE or PUT needs no type.
 */
export function refuseCrossSiteWrites(publicUrl: string): MiddlewareHandler {
  const publicOrigin = new URL(publicUrl).origin;
  return async function checkCrossSite(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== publicOrigin && !sameHost(origin, c.req.header('host'))) {
      throw new AccountError('NO_PERMISSION', `cross-origin request from ${origin.slice(0, 200)} refused`);
    }
    const needsJson = c.req.method === 'POST' || hasBody(c.req.raw.headers);
    if (needsJson && !isJson(c.req.header('content-type'))) {
      throw new UnsupportedMediaType(
        `${c.req.method} requests to the management API must send Content-Type: application/json`,
      );
    }
    await next();
  };
}

/** Whether `origin` names the host (and port) the request was sent to. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
}

/** The body type an endpoint does not take (the API answers 415). */
export class UnsupportedMediaType extends Error {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaType';
  }
}
