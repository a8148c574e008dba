/**
 * @module The token server's logic (Docker token authentication spec and its OAuth2 form):
 * grant the intersection of what was asked and what the principal may do, sign it, and
 * manage refresh tokens for `offline_token` / `access_type=offline`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { issueRegistryToken, ANONYMOUS } from '../../src/auth/registry-token.js';
import type { AccessEntry, Action } from '../../src/auth/scope.js';
import type { KeyRing } from '../../src/auth/keys.js';
import { OciError } from '../../src/oci/errors.js';
import type { AccessControl } from '../accounts/access-control.js';
import type { Principal } from '../accounts/permissions.js';
import type { SessionStore } from '../metadata/sessions.js';

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
}

export interface TokenServiceDeps {
  keys: KeyRing;
  accessControl: AccessControl;
  /** Where refresh tokens are kept (by hash). */
  store: SessionStore;
  /** The current immutable id of the account named `name` (accounts.ts `userId`); undefined for none. */
  accountId: (name: string) => Promise<string | undefined>;
  issuer: string;
  service: string;
  tokenLifetimeMs: number;
  refreshTokenLifetimeMs: number;
  now: () => number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export function createTokenService(deps: TokenServiceDeps) {
  /** What the principal may have of what it asked for; entries with nothing granted are dropped. */
  async function grant(principal: Principal, requested: AccessEntry[]): Promise<AccessEntry[]> {
    const granted: AccessEntry[] = [];
    for (const entry of requested) {
      if (entry.type === 'registry') {
        // The catalog is filtered per principal when listed; any signed-in user may ask for it.
        if (principal.kind === 'user') granted.push({ type: 'registry', name: 'catalog', actions: ['*'] });
        continue;
      }
      const allowed = new Set<Action>(await deps.accessControl.actionsFor(principal, entry.name));
      const actions = entry.actions.includes('*') ? [...allowed] : entry.actions.filter((a) => allowed.has(a));
      if (actions.length > 0) granted.push({ ...entry, actions });
    }
    return granted;
  }

  async function issueRefreshToken(user: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const userId = await deps.accountId(user);
    const expiresAt = deps.now() + deps.refreshTokenLifetimeMs;
    await deps.store.createRefreshToken(hashToken(token), { user, ...(userId !== undefined && { userId }), expiresAt });
    return token;
  }

  return {
    grant,

    async issue(
      principal: Principal,
      requested: AccessEntry[],
      options: { offline?: boolean; refreshToken?: string } = {},
    ): Promise<TokenResponse> {
      const now = deps.now();
      // One stat() per token: a key rotated by `outpost main keys rotate` in another process
      // signs from the next token on, rather than after the periodic reload. A keyring that
      // cannot be read (say, a key file written by another OS user) must not stop sign-ins:
      // the key already loaded keeps signing, and the periodic reload logs the failure.
      await deps.keys.reload().catch(() => undefined);
      const accountId = principal.kind === 'user' ? await deps.accountId(principal.name) : undefined;
      const issued = await issueRegistryToken(deps.keys.signingKey, {
        issuer: deps.issuer,
        service: deps.service,
        subject: principal.kind === 'user' ? principal.name : ANONYMOUS,
        ...(principal.kind === 'user' && { accountId }),
        access: await grant(principal, requested),
        lifetimeMs: deps.tokenLifetimeMs,
        now,
      });
      const response: TokenResponse = {
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresInSeconds,
        issued_at: issued.issuedAt,
      };
      if (principal.kind === 'user' && (options.offline || options.refreshToken)) {
        response.refresh_token = options.refreshToken ?? (await issueRefreshToken(principal.name));
      }
      return response;
    },

    /**
     * The user a refresh token belongs to; `UNAUTHORIZED` when unknown, expired, or issued to
     * an earlier account of that name. (Tokens from before ids existed carry none: removing a
     * user revokes its refresh tokens, so such a token still names its own account.)
     */
    async redeemRefreshToken(token: string): Promise<string> {
      const record = await deps.store.getRefreshToken(hashToken(token));
      const stale = record?.userId !== undefined && record.userId !== (await deps.accountId(record.user));
      if (!record || record.expiresAt < deps.now() || stale) {
        throw new OciError('UNAUTHORIZED', { message: 'refresh token is invalid or expired' });
      }
      return record.user;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
