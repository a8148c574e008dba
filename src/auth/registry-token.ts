/**
 * @module Registry bearer tokens (Docker token authentication spec, "Token" and "JWT format").
 *
 * `iss` is main, `aud` the service name, `sub` the user (`anonymous` when none), and the
 * `access` claim lists exactly what was granted: the intersection of what was asked and what
 * the user may do.
 */
import type { JWTPayload } from 'jose';
import { parseScopes, formatScope, type AccessEntry } from './scope.js';
import { signJwt } from './jwt.js';
import type { SigningKey } from './keys.js';
import { TokenError } from './token-errors.js';

export const ANONYMOUS = 'anonymous';

export interface RegistryTokenClaims {
  subject: string;
  access: AccessEntry[];
  /** The `uid` claim: the immutable id of the account `subject` named when it was issued. */
  accountId?: string;
}

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
  issuedAt: string;
}

export interface IssueRegistryTokenOptions {
  issuer: string;
  service: string;
  subject: string;
  access: AccessEntry[];
  /** Sent as `uid`, so that main can refuse the token once the account is gone (even if the name is reused). */
  accountId?: string;
  lifetimeMs: number;
  now: number;
}

export async function issueRegistryToken(key: SigningKey, options: IssueRegistryTokenOptions): Promise<IssuedToken> {
  const claims = { access: options.access, ...(options.accountId !== undefined && { uid: options.accountId }) };
  const token = await signJwt(key, claims, { ...options, audience: options.service });
  return {
    token,
    expiresInSeconds: Math.ceil(options.lifetimeMs / 1000),
    issuedAt: new Date(options.now).toISOString(),
  };
}

/** Reads the `access` claim of a verified payload; anything that is not well-formed is refused. */
export function toRegistryClaims(payload: JWTPayload): RegistryTokenClaims {
  // A token main signed for one use (a blob redirect) never stands for a registry token, whatever
  // else it carries: main's fast path relies on this to skip looking for such tokens first.
  if (payload.use !== undefined) throw new TokenError('OUTPOST_TOKEN_CLAIMS', 'token is for another use');
  const access = payload.access;
  if (!Array.isArray(access) || typeof payload.sub !== 'string')
    throw new TokenError('OUTPOST_TOKEN_CLAIMS', 'token has no access claim');
  // Round-trip through the scope parser so that only valid names and actions survive.
  const scopes = access
    .filter(
      (e): e is AccessEntry =>
        typeof e === 'object' &&
        e !== null &&
        typeof e.type === 'string' &&
        typeof e.name === 'string' &&
        Array.isArray(e.actions),
    )
    .map((e) => formatScope(e))
    .join(' ');
  const accountId = typeof payload.uid === 'string' ? payload.uid : undefined;
  return { subject: payload.sub, access: parseScopes(scopes), ...(accountId !== undefined && { accountId }) };
}
