/**
 * @module Main accepts its own redirect tokens on the blob they name: that is how an edge
 * (or a chain of edges) fetches a miss from main with the client's permission. Such a request
 * is answered by main itself, never redirected again.
 */
import { decodeJwt, type JWTVerifyGetKey } from 'jose';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import { checkRedirectClaims, REDIRECT_TOKEN_USE } from '../../src/auth/redirect-token.js';
import { ANONYMOUS } from '../../src/auth/registry-token.js';
import { TokenError } from '../../src/auth/token-errors.js';
import { OciError } from '../../src/oci/errors.js';
import type { Principal } from '../accounts/permissions.js';

/** Cheap look at an unverified token: is it shaped like a redirect token? */
export function looksLikeRedirectToken(token: string): boolean {
  try {
    return decodeJwt(token).use === REDIRECT_TOKEN_USE;
  } catch {
    return false;
  }
}

export type RedirectTokenCheck = (token: string, repository: string, digest: string) => Promise<Principal>;

export function createRedirectTokenCheck(deps: {
  getKey: JWTVerifyGetKey;
  issuer: string;
  now: () => number;
  /** The user the token was issued to, if still active. */
  activeUser: (name: string) => Promise<Principal>;
}): RedirectTokenCheck {
  // No audience check: any cache of the chain may forward the token to main.
  const verifier = createJwtVerifier({ getKey: deps.getKey, issuer: deps.issuer, now: deps.now });
  return async (token, repository, digest) => {
    let subject: string;
    try {
      ({ subject } = checkRedirectClaims(await verifier.verify(token), { repository, digest }));
    } catch (err) {
      if (err instanceof TokenError)
        throw new OciError('UNAUTHORIZED', { message: `redirect token refused: ${err.message}` });
      throw err;
    }
    return subject === ANONYMOUS ? { kind: 'anonymous' } : deps.activeUser(subject);
  };
}
