/**
 * @module Who may see a page: `signedIn` (anonymous visitors are sent to sign in and come back)
 * and `adminOnly` (others get the 403 page). Both return the session user and their session.
 */
import type { Context } from 'hono';
import type { Principal } from '../../accounts/permissions.js';
import type { Session } from '../../auth/sessions.js';
import { webPrincipal } from '../render.js';
import { adminOnlyError, SignInRequired } from '../web-error.js';

export interface SignedInCaller {
  principal: Principal & { kind: 'user' };
  session: Session;
}

export function signedIn(c: Context): SignedInCaller {
  const principal = webPrincipal(c);
  const session = c.get('session');
  if (principal.kind !== 'user' || !session) throw new SignInRequired();
  return { principal, session };
}

export function adminOnly(c: Context): SignedInCaller {
  const caller = signedIn(c);
  if (!caller.principal.isAdmin) throw adminOnlyError();
  return caller;
}
