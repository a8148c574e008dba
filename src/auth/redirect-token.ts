/**
 * @module Redirect tokens (DESIGN 3.3): main's signed permission to fetch one blob of one
 * repository from a cache, carried in the redirect URL because clients drop `Authorization`
 * on a cross-host redirect.
 *
 * `aud` is the chosen cache followed by every cache above it in its chain, so each edge on the
 * way to main accepts the same token; `repo` and `digest` bind it to exactly one blob.
 */
import type { JWTPayload } from 'jose';
import { signJwt } from './jwt.js';
import type { SigningKey } from './keys.js';
import { TokenError } from './token-errors.js';

export interface RedirectGrant {
  subject: string;
  repository: string;
  digest: string;
}

export interface IssueRedirectTokenOptions extends RedirectGrant {
  issuer: string;
  /** The cache chain, nearest first. */
  audience: string[];
  lifetimeMs: number;
  now: number;
}

/** A marker claim so that a registry token can never pass for a redirect token, nor the reverse. */
export const REDIRECT_TOKEN_USE = 'blob-redirect';

export function issueRedirectToken(key: SigningKey, options: IssueRedirectTokenOptions): Promise<string> {
  return signJwt(
    key,
    { use: REDIRECT_TOKEN_USE, repo: options.repository, digest: options.digest },
    { ...options, subject: options.subject },
  );
}

/**
 * Checks a verified payload against the request it came with. Signature, issuer, expiry and
 * audience are checked by the JWT verifier; this checks what the token is for.
 */
export function checkRedirectClaims(
  payload: JWTPayload,
  request: { repository: string; digest: string },
): RedirectGrant {
  if (payload.use !== REDIRECT_TOKEN_USE) throw new TokenError('OUTPOST_TOKEN_CLAIMS', 'not a redirect token');
  if (payload.repo !== request.repository)
    throw new TokenError('OUTPOST_TOKEN_CLAIMS', 'token is for another repository');
  if (payload.digest !== request.digest) throw new TokenError('OUTPOST_TOKEN_CLAIMS', 'token is for another blob');
  return { subject: String(payload.sub), repository: request.repository, digest: request.digest };
}
