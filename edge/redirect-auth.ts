/**
 * @module Verifies redirect tokens offline: main's signature (keys from the JWKS cache),
 * issuer, expiry, this cache in `aud`, and the repository and digest of the request.
 *
 * Expired, forged or unreadable tokens are 401 UNAUTHORIZED; a genuine token for another
 * cache, repository or blob is 403 DENIED. Each refusal is logged with its reason (never the
 * token): after a key rotation that log is where an operator sees why pulls failed. While the
 * edge has no keys at all (started with main down and nothing cached) it cannot tell a good
 * token from a bad one: that is 503 UNAVAILABLE, which clients retry, not a refusal.
 */
import { decodeProtectedHeader, type JWTVerifyGetKey } from 'jose';
import { createJwtVerifier, type JwtVerifier } from '../src/auth/jwt.js';
import { checkRedirectClaims, REDIRECT_TOKEN_USE, type RedirectGrant } from '../src/auth/redirect-token.js';
import { TokenError } from '../src/auth/token-errors.js';
import { OciError } from '../src/oci/errors.js';
import type { Logger } from '../src/log/logger.js';

export interface RedirectAuthOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  cacheName: string;
  logger: Logger;
  now?: () => number;
  /** False while no signing key is at hand (`KeySource.hasKeys`). Default: always true. */
  hasKeys?: () => boolean;
  /** Told of each refused token, with the reason's code (`OUTPOST_TOKEN_EXPIRED`...), to count it. */
  onRefused?: (reason: string) => void;
}

// Keys are fetched again within seconds while main is back (edge/backoff.ts, capped at 30 s).
const NO_KEYS_RETRY_AFTER_SECONDS = '5';

export type RedirectVerifier = (token: string, repository: string, digest: string) => Promise<RedirectGrant>;

/**
 * Whether `token` was verified before (signature, issuer, expiry, audience: still valid) and is
 * for this repository and digest; synchronous, for the hot path. False means "ask the full
 * verifier", never "refused".
 */
export type VerifiedBefore = (token: string, repository: string, digest: string) => boolean;

export function createRedirectVerifiers(options: RedirectAuthOptions): {
  verify: RedirectVerifier;
  verifiedBefore: VerifiedBefore;
} {
  const verifier = createJwtVerifier({
    getKey: options.getKey,
    issuer: options.issuer,
    audience: options.cacheName,
    ...(options.now && { now: options.now }),
  });
  return {
    verify: redirectVerifier(verifier, options.logger, options.hasKeys ?? (() => true), options.onRefused),
    verifiedBefore(token, repository, digest) {
      const payload = verifier.cached(token);
      return (
        payload !== undefined &&
        payload.use === REDIRECT_TOKEN_USE &&
        payload.repo === repository &&
        payload.digest === digest
      );
    },
  };
}

export function createRedirectVerifier(options: RedirectAuthOptions): RedirectVerifier {
  return createRedirectVerifiers(options).verify;
}

function redirectVerifier(
  verifier: JwtVerifier,
  logger: Logger,
  hasKeys: () => boolean,
  onRefused?: (reason: string) => void,
): RedirectVerifier {
  return async (token, repository, digest) => {
    if (!hasKeys()) {
      throw new OciError('UNAVAILABLE', {
        message: "this cache has not received main's signing keys yet (main unreachable); try again",
        headers: { 'Retry-After': NO_KEYS_RETRY_AFTER_SECONDS },
      });
    }
    try {
      return checkRedirectClaims(await verifier.verify(token), { repository, digest });
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      const kid = kidOf(token);
      logger.warn('redirect token refused', { reason: err.code, detail: err.message, repository, digest, kid });
      onRefused?.(err.code);
      if (err.code === 'OUTPOST_TOKEN_CLAIMS')
        throw new OciError('DENIED', { message: `redirect token refused: ${err.message}` });
      throw new OciError('UNAUTHORIZED', { message: `redirect token refused: ${err.message}` });
    }
  };
}

/** The key id a token names, for the refusal log (a header field, not a secret); undefined if unreadable. */
function kidOf(token: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' ? kid.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}
