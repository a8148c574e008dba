/**
 * @module Main accepts its own redirect tokens on the blob they name: that is how an edge
 * (or a chain of edges) fetches a miss from main with the client's permission. Such a request
 * is answered by main itself, never redirected again.
 *
 * Any cache of the token's chain may bring it: the one next to main, or one further down whose
 * upstream cache failed and which fell back to main (issue 11, section 3). A cache names itself
 * in `X-Outpost-Cache`; one that is not in the token's `aud` is refused, so a token handed out
 * for one chain does not fill a cache of another (a misrouted or misconfigured edge). The header
 * is a claim, not a proof: what the token grants, one blob to its user, stays the bound.
 */
import { decodeJwt, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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

/** The header with which a cache names itself to its upstream (edge/cache/upstream.ts sends it). */
export const ASKING_CACHE_HEADER = 'x-outpost-cache';

/** `cache`: the asking cache's name from `X-Outpost-Cache`, when the request has one. */
export type RedirectTokenCheck = (
  token: string,
  repository: string,
  digest: string,
  cache?: string,
) => Promise<Principal>;

function audienceOf(payload: JWTPayload): string[] {
  if (typeof payload.aud === 'string') return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud : [];
}

export function createRedirectTokenCheck(deps: {
  getKey: JWTVerifyGetKey;
  issuer: string;
  now: () => number;
  /** The user the token was issued to, if still active. */
  activeUser: (name: string) => Promise<Principal>;
}): RedirectTokenCheck {
  // The audience is checked below against the asking cache: any cache of the chain may bring it.
  const verifier = createJwtVerifier({ getKey: deps.getKey, issuer: deps.issuer, now: deps.now });
  return async (token, repository, digest, cache) => {
    let subject: string;
    try {
      const payload = await verifier.verify(token);
      ({ subject } = checkRedirectClaims(payload, { repository, digest }));
      if (cache !== undefined && !audienceOf(payload).includes(cache))
        throw new TokenError('OUTPOST_TOKEN_CLAIMS', `token is not for cache ${cache.slice(0, 100)}`);
    } catch (err) {
      if (err instanceof TokenError)
        throw new OciError('UNAUTHORIZED', { message: `redirect token refused: ${err.message}` });
      throw err;
    }
    return subject === ANONYMOUS ? { kind: 'anonymous' } : deps.activeUser(subject);
  };
}
