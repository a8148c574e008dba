/**
 * @module Verifies redirect tokens offline: main's signature (keys from the JWKS cache),
 * issuer, expiry, this cache in `aud`, and the repository and digest of the request.
 *
 * Expired, forged or unreadable tokens are 401 UNAUTHORIZED; a genuine token for another
 * cache, repository or blob is 403 DENIED.
 */
import type { JWTVerifyGetKey } from 'jose';
import { createJwtVerifier } from '../src/auth/jwt.js';
import { checkRedirectClaims, type RedirectGrant } from '../src/auth/redirect-token.js';
import { TokenError } from '../src/auth/token-errors.js';
import { OciError } from '../src/oci/errors.js';

export interface RedirectAuthOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  cacheName: string;
  now?: () => number;
}

export type RedirectVerifier = (token: string, repository: string, digest: string) => Promise<RedirectGrant>;

export function createRedirectVerifier(options: RedirectAuthOptions): RedirectVerifier {
  const verifier = createJwtVerifier({ getKey: options.getKey, issuer: options.issuer, audience: options.cacheName, ...(options.now && { now: options.now }) });
  return async (token, repository, digest) => {
    try {
      return checkRedirectClaims(await verifier.verify(token), { repository, digest });
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.code === 'OUTPOST_TOKEN_CLAIMS') throw new OciError('DENIED', { message: `redirect token refused: ${err.message}` });
      throw new OciError('UNAUTHORIZED', { message: `redirect token refused: ${err.message}` });
    }
  };
}
