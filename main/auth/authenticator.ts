/**
 * @module Turns credentials into a principal: Basic passwords (throttled, and remembered
 * briefly so that simple clients sending Basic on every request do not pay scrypt each
 * time), and registry bearer tokens (verified offline, cached with their parsed claims until
 * they expire).
 *
 * The throttle comes first, even for a remembered password: otherwise a locked-out guesser
 * would try passwords at full speed (no scrypt for those remembered) while the owner is active,
 * and get in with the right one. Identical checks in progress from one address are shared, so
 * a client sending its password on many requests at once takes one place in the throttle.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { OciError } from '../../src/oci/errors.js';
import type { JwtVerifier } from '../../src/auth/jwt.js';
import { ANONYMOUS, toRegistryClaims, type RegistryTokenClaims } from '../../src/auth/registry-token.js';
import type { AccessEntry } from '../../src/auth/scope.js';
import { TokenError } from '../../src/auth/token-errors.js';
import type { Accounts, Identity } from '../accounts/accounts.js';
import { isAccountName } from '../accounts/account-names.js';
import { MAX_PASSWORD_LENGTH } from '../accounts/passwords.js';
import type { Principal } from '../accounts/permissions.js';
import { AccountError } from '../accounts/errors.js';
import { DirectoryUnavailableError } from '../directory/directory-connection.js';
import type { DirectorySignIn } from '../directory/directory-sign-in.js';
import type { LoginThrottle } from './login-throttle.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface BearerIdentity {
  principal: Principal;
  /** What the token grants; requests are checked against this, not the user's full rights. */
  access: AccessEntry[];
}

export interface Authenticator {
  /** A signed-in user, or `UNAUTHORIZED` / `TOOMANYREQUESTS`. */
  password(username: string, password: string, address: string): Promise<Principal & { kind: 'user' }>;
  /** The identity a registry token carries, or `UNAUTHORIZED`. */
  bearer(token: string): Promise<BearerIdentity>;
  /** The principal of an active user already authenticated another way (refresh token, session). */
  activeUser(name: string): Promise<Principal & { kind: 'user' }>;
}

const PASSWORD_CACHE_TTL_MS = 60_000;

type UserPrincipal = Principal & { kind: 'user' };

export function createAuthenticator(deps: {
  accounts: Accounts;
  throttle: LoginThrottle;
  verifier: JwtVerifier;
  /** The directory, when main has one configured (settings decide whether it is enabled). */
  directory?: DirectorySignIn;
  /** Where sign-ins checked against the password are recorded (not the remembered ones: one per request). */
  audit?: Pick<AuditLog, 'record'>;
}): Authenticator {
  // Keyed by a hash of name and password: the cache never holds a password. The value is the
  // account's password version when it was verified, so a changed password (API, web, or
  // `outpost main user passwd` in another process) stops the old one at once, not a minute later.
  const recent = new LRUCache<string, string>({ max: 10_000, ttl: PASSWORD_CACHE_TTL_MS });
  const fingerprint = (u: string, p: string) => createHash('sha256').update(u).update('\0').update(p).digest('base64');
  const inProgress = new Map<string, Promise<UserPrincipal>>();
  // The claims read from each verified payload. The verifier keeps a verified token's payload (the
  // same object) in a bounded LRU until the token expires; the claims live and die with it, so a
  // client's token is parsed once, not on every request of its pull.
  const readClaims = new WeakMap<object, RegistryTokenClaims>();
  const wrongCredentials = () => new OciError('UNAUTHORIZED', { message: 'incorrect username or password' });

  const principalOf = (name: string, who: Identity | undefined): UserPrincipal | undefined =>
    who?.isActive ? { kind: 'user', name, isAdmin: who.isAdmin } : undefined;
  const userPrincipal = async (name: string) => principalOf(name, await deps.accounts.identity(name));

  async function checkPassword(username: string, password: string, address: string, id: string) {
    const attempt = await deps.throttle.before(username, address);
    try {
      const version = recent.get(id);
      if (version !== undefined) {
        const who = await deps.accounts.identity(username);
        const principal = version === who?.passwordVersion ? principalOf(username, who) : undefined;
        if (principal) {
          await attempt.succeeded();
          return principal;
        }
        recent.delete(id);
      }
      const known = deps.directory && (await deps.accounts.identity(username));
      if (deps.directory && (known === undefined || known?.fromDirectory)) {
        const principal = await directorySignIn(deps.directory, username, password);
        if (principal !== 'not-enabled') {
          if (!principal) {
            await attempt.failed();
            throw wrongCredentials();
          }
          await attempt.succeeded();
          const version = await deps.accounts.passwordVersion(username);
          if (version !== undefined) recent.set(id, version);
          return principal;
        }
      }
      const versionBefore = await deps.accounts.passwordVersion(username);
      const user = await deps.accounts.authenticate(username, password);
      const signIn = { type: 'auth.sign-in', actor: username, target: username, detail: { address } } as const;
      if (!user) {
        await attempt.failed();
        deps.audit?.record({ ...signIn, outcome: 'failure' });
        throw wrongCredentials();
      }
      await attempt.succeeded();
      deps.audit?.record({ ...signIn, outcome: 'success' });
      // Remembered only if the password did not change while it was being checked.
      if (versionBefore !== undefined && versionBefore === (await deps.accounts.passwordVersion(username)))
        recent.set(id, versionBefore);
      return { kind: 'user', name: user.name, isAdmin: user.isAdmin } satisfies UserPrincipal;
    } finally {
      // An error while checking (storage, say) frees the attempt's place without counting it.
      attempt.abandoned();
    }
  }

  /** The principal when the directory accepts the password (creating the account the first time). */
  async function directorySignIn(
    directory: DirectorySignIn,
    username: string,
    password: string,
  ): Promise<UserPrincipal | undefined | 'not-enabled'> {
    let result;
    try {
      result = await directory.signIn(username, password);
    } catch (err) {
      if (!(err instanceof DirectoryUnavailableError)) throw err;
      throw new OciError('UNAVAILABLE', {
        message: 'the directory (LDAP) cannot be reached to check this password; try again later',
      });
    }
    if (result.outcome !== 'signed-in') return result.outcome === 'not-enabled' ? 'not-enabled' : undefined;
    if (!(await deps.accounts.identity(username))) {
      const { fullName } = result.user;
      try {
        await deps.accounts.createDirectoryUser({ name: username, ...(fullName !== undefined && { fullName }) });
      } catch (err) {
        // A concurrent first sign-in created it: read it below. A reserved name cannot be an account.
        if (!(err instanceof AccountError) || err.code === 'INVALID_INPUT') return undefined;
      }
    }
    const who = await deps.accounts.identity(username);
    return who?.fromDirectory ? principalOf(username, who) : undefined;
  }

  return {
    async activeUser(name) {
      const principal = await userPrincipal(name);
      if (!principal) throw new OciError('UNAUTHORIZED', { message: 'the account is not active' });
      return principal;
    },

    async password(username, password, address) {
      // No account has such a name, and no password is that long: wrong, without a lookup or
      // a hash (no password longer can have been set).
      if (!isAccountName(username) || password.length > MAX_PASSWORD_LENGTH) throw wrongCredentials();
      const id = fingerprint(username, password);
      const key = `${address}\0${id}`;
      const shared = inProgress.get(key);
      if (shared) return shared;
      const check = checkPassword(username, password, address, id).finally(() => inProgress.delete(key));
      inProgress.set(key, check);
      return check;
    },

    async bearer(token) {
      let claims;
      try {
        const payload = await deps.verifier.verify(token);
        claims = readClaims.get(payload);
        if (!claims) readClaims.set(payload, (claims = toRegistryClaims(payload)));
      } catch (err) {
        if (err instanceof TokenError) throw new OciError('UNAUTHORIZED', { message: err.message });
        throw err;
      }
      if (claims.subject === ANONYMOUS) return { principal: { kind: 'anonymous' }, access: claims.access };
      // A token outlives nothing: a removed or deactivated user's tokens stop working at once,
      // and so do those of an earlier account of the same name (its id differs).
      const who = await deps.accounts.identity(claims.subject);
      const principal = principalOf(claims.subject, who);
      if (!principal) throw new OciError('UNAUTHORIZED', { message: 'the token names an account that is not active' });
      if (claims.accountId === undefined || claims.accountId !== who?.id) {
        throw new OciError('UNAUTHORIZED', { message: 'the token was issued to an earlier account of this name' });
      }
      return { principal, access: claims.access };
    },
  };
}
