/**
 * @module The registry's access policy: credentials in, an `AuthContext` or an error out.
 *
 * - Bearer token: the token's `access` claim must cover the request; otherwise 401 with a
 *   challenge naming the scope needed (`insufficient_scope`), which makes docker fetch a new token.
 * - Basic credentials (simple clients): the user's own rights decide; a known user without the
 *   right gets 403 DENIED.
 * - Nothing: anonymous pulls of public repositories pass; everything else gets the challenge.
 */
import { formatBearerChallenge, parseAuthorization } from '../../src/auth/challenge.js';
import { formatScope, grants, type AccessEntry } from '../../src/auth/scope.js';
import { OciError } from '../../src/oci/errors.js';
import { namespaceOf, type AccessControl } from '../accounts/access-control.js';
import type { Principal, RepoAction } from '../accounts/permissions.js';
import type { AccessPolicy, AuthContext, RequiredAccess } from '../middleware/access.js';
import type { Authenticator } from './authenticator.js';
import { ASKING_CACHE_HEADER, looksLikeRedirectToken, type RedirectTokenCheck } from './redirect-access.js';

export interface RegistryPolicyDeps {
  authenticator: Authenticator;
  accessControl: AccessControl;
  /** `<public url>/auth/token`. */
  realm: string;
  service: string;
  repositoryExists: (name: string) => Promise<boolean>;
  /** Verifies a redirect token presented on the blob it names (edges fetching a miss). */
  redirectTokenCheck: RedirectTokenCheck;
}

function scopeOf(access: RequiredAccess): string | undefined {
  if (access.kind === 'repository')
    return formatScope({ type: 'repository', name: access.name, actions: access.actions });
  if (access.kind === 'catalog') return 'registry:catalog:*';
  return undefined;
}

export function createRegistryPolicy(deps: RegistryPolicyDeps): AccessPolicy {
  const challenge = (access: RequiredAccess, message: string, error?: 'invalid_token' | 'insufficient_scope') => {
    const scope = scopeOf(access);
    return new OciError('UNAUTHORIZED', {
      message,
      ...(access.kind === 'repository' && {
        detail: [{ Type: 'repository', Name: access.name, Action: access.actions.join(',') }],
      }),
      headers: {
        'WWW-Authenticate': formatBearerChallenge({
          realm: deps.realm,
          service: deps.service,
          ...(scope && { scope }),
          ...(error && { error }),
        }),
      },
    });
  };

  const mayPull = (principal: Principal) => async (name: string) =>
    (await deps.accessControl.actionsFor(principal, name)).includes('pull');
  const byRights = (principal: Principal): AuthContext => {
    // A request asks about one repository, often for two actions: its rights are read once.
    const known = new Map<string, Promise<RepoAction[]>>();
    const actionsFor = (name: string) => {
      let actions = known.get(name);
      if (!actions) {
        if (known.size >= 8) known.clear();
        actions = deps.accessControl.actionsFor(principal, name);
        known.set(name, actions);
      }
      return actions;
    };
    return {
      principal,
      may: async (name, action) => (await actionsFor(name)).includes(action),
      mayList: mayPull(principal),
    };
  };
  // The token's claim bounds what the request may do; a catalog it allows lists what the
  // principal may pull (the token cannot name every repository in advance).
  const byToken = (principal: Principal, access: AccessEntry[]): AuthContext => ({
    principal,
    may: async (name, action) => grants(access, 'repository', name, [action]),
    mayList: mayPull(principal),
  });

  /** Admins, the namespace's owner and its organization's admins see every repository in it. */
  const seesNamespace = async (principal: Principal, name: string): Promise<boolean> => {
    if (principal.kind !== 'user') return false;
    const namespace = namespaceOf(name);
    if (principal.isAdmin || namespace === principal.name) return true;
    return namespace !== undefined && (await deps.accessControl.isOrgAdmin(principal.name, namespace));
  };

  const satisfies = async (auth: AuthContext, access: RequiredAccess, tokenAccess?: AccessEntry[]) => {
    if (access.kind === 'base') return true;
    if (access.kind === 'catalog')
      return tokenAccess ? grants(tokenAccess, 'registry', 'catalog', ['*']) : auth.principal.kind === 'user';
    for (const action of access.actions) if (!(await auth.may(access.name, action))) return false;
    return true;
  };

  return async function registryPolicy(request, access, clientAddress) {
    const credentials = parseAuthorization(request.headers.get('authorization') ?? undefined);
    if (credentials === 'malformed') throw challenge(access, 'the Authorization header is malformed', 'invalid_token');

    if (
      credentials?.kind === 'bearer' &&
      access.kind === 'repository' &&
      access.blob &&
      looksLikeRedirectToken(credentials.token)
    ) {
      let principal: Principal;
      try {
        const cache = request.headers.get(ASKING_CACHE_HEADER) ?? undefined;
        principal = await deps.redirectTokenCheck(credentials.token, access.name, access.blob, cache);
      } catch (err) {
        if (err instanceof OciError && err.code === 'UNAUTHORIZED')
          throw challenge(access, err.message, 'invalid_token');
        throw err;
      }
      const repository = access.name;
      return {
        principal,
        may: async (name, action) => name === repository && action === 'pull',
        mayList: async () => false,
        viaRedirectToken: true,
      };
    }

    if (credentials?.kind === 'bearer') {
      let identity;
      try {
        identity = await deps.authenticator.bearer(credentials.token);
      } catch (err) {
        if (err instanceof OciError) throw challenge(access, err.message, 'invalid_token');
        throw err;
      }
      const auth = byToken(identity.principal, identity.access);
      if (!(await satisfies(auth, access, identity.access)))
        throw challenge(access, 'the token does not grant this access', 'insufficient_scope');
      return auth;
    }

    if (credentials?.kind === 'basic') {
      let principal;
      try {
        principal = await deps.authenticator.password(credentials.username, credentials.password, clientAddress);
      } catch (err) {
        // A 401 must carry a challenge (RFC 9110 15.5.2): a wrong password is answered like no
        // credentials, so the client learns where tokens come from.
        if (err instanceof OciError && err.code === 'UNAUTHORIZED') throw challenge(access, err.message);
        throw err;
      }
      const auth = byRights(principal);
      if (await satisfies(auth, access)) return auth;
      // Whether a repository exists is told only to those who could list its namespace anyway;
      // anyone else gets the same 403 for a private repository and a missing one (issue 9, item 16).
      const mayKnow = access.kind === 'repository' && (await seesNamespace(principal, access.name));
      if (mayKnow && access.actions.includes('push') && !(await deps.repositoryExists(access.name))) {
        throw new OciError('NAME_UNKNOWN', {
          message:
            `repository ${access.name} does not exist; create it first (POST ` +
            `/api/v0/repositories/<namespace>) or ask an admin to enable createRepositoryOnPush`,
          detail: { name: access.name },
        });
      }
      throw new OciError('DENIED', {
        message:
          `${principal.name} may not ` +
          `${access.kind === 'repository' ? access.actions.join('/') : 'list'} ` +
          `${access.kind === 'repository' ? access.name : 'the catalog'}`,
      });
    }

    const auth = byRights({ kind: 'anonymous' });
    if (access.kind === 'repository' && (await satisfies(auth, access))) return auth;
    throw challenge(access, 'authentication required');
  };
}
