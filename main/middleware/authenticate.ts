/**
 * @module Who is calling the management API or a web page: Basic credentials or the web
 * session cookie. Leaves `c.var.principal` (anonymous when none) and, for a cookie session,
 * `c.var.session` (whose CSRF token forms must echo).
 *
 * Registry bearer tokens are refused here (401): their `access` claim grants pulls and pushes
 * of named repositories, nothing else, while a principal here acts with the account's full
 * rights. A pull token for one repository must not create an administrator.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { OciError } from '../../src/oci/errors.js';
import { clientAddress } from '../../src/http/node-bindings.js';
import type { Principal } from '../accounts/permissions.js';
import type { Authenticator } from '../auth/authenticator.js';
import { SESSION_COOKIE, type Session, type Sessions } from '../auth/sessions.js';

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
    session?: Session;
  }
}

export function authenticate(deps: { authenticator: Authenticator; sessions: Sessions }): MiddlewareHandler {
  return async function identifyCaller(c, next) {
    const credentials = parseAuthorization(c.req.header('authorization'));
    if (credentials === 'malformed')
      throw new OciError('UNAUTHORIZED', { message: 'the Authorization header is malformed' });
    if (credentials?.kind === 'basic') {
      c.set(
        'principal',
        await deps.authenticator.password(credentials.username, credentials.password, clientAddress(c)),
      );
    } else if (credentials?.kind === 'bearer') {
      const message = 'registry tokens are only for /v2; send Basic credentials or sign in';
      throw new OciError('UNAUTHORIZED', { message });
    } else {
      const session = await deps.sessions.get(getCookie(c, SESSION_COOKIE));
      const principal = session ? await deps.authenticator.activeUser(session.user).catch(() => undefined) : undefined;
      if (session && principal) c.set('session', session);
      c.set('principal', principal ?? { kind: 'anonymous' });
    }
    await next();
  };
}
