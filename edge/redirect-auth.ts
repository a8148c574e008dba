/**
 * @module Verifies redirect tokens offline: main's signature (keys from the JWKS cache),
 * issuer, expiry, this cache in `aud`, and the repository and digest of the request.
 *
 * Expired, forged or unreadable tokens are 401 UNAUTHORIZED; a genuine token for another
 * cache, repository or blob is 403 DENIED.
 */
import type { JWTVerifyGetKey } from 'jose';
import { createJwtVerifier, type JwtVerifier } from '../src/auth/jwt.js';
import { checkRedirectClaims, REDIRECT_TOKEN_USE, type RedirectGrant } from '../src/auth/redirect-token.js';
import { TokenError } from '../src/auth/token-errors.js';
import { OciError } from '../src/oci/errors.js';

export interface RedirectAuthOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  cacheName: string;
  now?: () => number;
}

export type RedirectVerifier = (token: string, repository: string, digest: string) => Promise<RedirectGrant>;

/**
 * Whether `token` was verified before (signature, issuer, expiry, audience: still valid) and is
 * for this repository and digest; synchronous, for the hot path. False means "ask the full
 * verifier", never "refused".
 */
export type VerifiedBefore = (token: string, repository: string, digest: string) => boolean;

export function createRedirectVerifiers(options: RedirectAuthOptions): { verify: RedirectVerifier; verifiedBefore: VerifiedBefore } {
  const verifier = createJwtVerifier({ getKey: options.getKey, issuer: options.issuer, audience: options.cacheName, ...(options.now && { now: options.now }) });
  return {
    verify: redirectVerifier(verifier),
    verifiedBefore(token, repository, digest) {
      const payload = verifier.cached(token);
      return payload !== undefined && payload.use === REDIRECT_TOKEN_USE && payload.repo === repository && payload.digest === digest;
    },
  };
}

/**
 * The challenge on every 401 of the edge (RFC 9110 section 15.5.2 requires one). The edge issues
 * no tokens, so the realm only names it; a client gets a new redirect token by pulling through
 * main again. `invalid_token` (RFC 6750 section 3.1) when a token was sent and refused.
 */
export const edgeChallenge = (error?: 'invalid_token'): string =>
  `Bearer realm="outpost-edge"${error ? `,error="${error}"` : ''}`;

export function createRedirectVerifier(options: RedirectAuthOptions): RedirectVerifier {
  return createRedirectVerifiers(options).verify;
}

function redirectVerifier(verifier: JwtVerifier): RedirectVerifier {
  return async (token, repository, digest) => {
    try {
      return checkRedirectClaims(await verifier.verify(token), { repository, digest });
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.code === 'OUTPOST_TOKEN_CLAIMS') throw new OciError('DENIED', { message: `redirect token refused: ${err.message}` });
      throw new OciError('UNAUTHORIZED', {
        message: `redirect token refused: ${err.message}`,
        headers: { 'WWW-Authenticate': edgeChallenge('invalid_token') },
      });
    }
  };
}
