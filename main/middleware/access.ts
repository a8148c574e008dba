/**
 * @module What a registry request needs, declared on the route itself: each `/v2` route starts
 * with a `requires…()` step that reads the route's own parameters, asks the access policy and
 * leaves the caller's rights in `c.var.auth` (distribution's `appendAccessRecords`, one per
 * route). There is no second table of paths to drift from the router: the name checked is the
 * name the route uses. `accessGate` fails closed: a `/v2` request whose matched routes declare
 * no access gets no further than a 404.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { OciError } from '../../src/oci/errors.js';
import { isDigest } from '../../src/oci/digest.js';
import { parseRepoName, type RepoName } from '../../src/oci/reference.js';
import type { Principal, RepoAction } from '../accounts/permissions.js';

export type RequiredAccess =
  /** `/v2/`: any authenticated client (the version check). */
  | { kind: 'base' }
  /** `/v2/_catalog`: registry-wide listing. */
  | { kind: 'catalog' }
  /** Everything under `/v2/<name>/...`; `blob` is the digest of a blob GET or HEAD. */
  | { kind: 'repository'; name: string; actions: RepoAction[]; blob?: string };

/** Who is asking, and a question the routes can put about other repositories (mount sources, catalog). */
export interface AuthContext {
  principal: Principal;
  /** Whether this request's credentials allow `action` on `repository` (a token: its `access` claim). */
  may(repository: string, action: RepoAction): Promise<boolean>;
  /**
   * Whether the caller's own rights include pulling `repository`: what the catalog shows to a
   * caller whose credentials allowed the catalog itself.
   */
  mayList(repository: string): Promise<boolean>;
  /** The request carried a redirect token (from an edge): answer it here, never redirect it. */
  viaRedirectToken?: boolean;
}

/** Decides whether the request may proceed; throws an `OciError` (401/403/404) when not. */
export type AccessPolicy = (request: Request, access: RequiredAccess, clientAddress: string) => Promise<AuthContext>;

declare module 'hono' {
  interface ContextVariableMap {
    auth: AuthContext;
    /** The repository name the access policy checked. */
    authorizedRepository?: string;
    /** Set by `accessGate` for the routes' `requires…()` steps. */
    accessPolicy?: { policy: AccessPolicy; clientAddress: (c: Context) => string };
  }
}

/** Marks a route's access step, so that the gate (and a unit test) can tell a route declared it. */
const DECLARES_ACCESS = Symbol('outpost.declaresAccess');
export type AccessStep = MiddlewareHandler & { readonly [DECLARES_ACCESS]: true };

/**
 * Whether a registered handler is an access step. `app.route()` wraps the handlers of a
 * sub-app that has its own error handler and keeps the original under `__COMPOSED_HANDLER`.
 */
export function declaresAccess(handler: unknown): boolean {
  if (typeof handler !== 'function') return false;
  const original = (handler as { __COMPOSED_HANDLER?: unknown }).__COMPOSED_HANDLER;
  if ((handler as Partial<AccessStep>)[DECLARES_ACCESS] === true) return true;
  return original !== undefined && declaresAccess(original);
}

function accessStep(toAccess: (c: Context) => RequiredAccess): AccessStep {
  const step: MiddlewareHandler = async function requiresAccess(c, next) {
    const gate = c.get('accessPolicy');
    // Fail closed: a route mounted outside the gate has no policy to ask.
    if (!gate) throw new OciError('DENIED', { message: 'this endpoint has no access policy' });
    const access = toAccess(c);
    c.set('auth', await gate.policy(c.req.raw, access, gate.clientAddress(c)));
    if (access.kind === 'repository') c.set('authorizedRepository', access.name);
    await next();
  };
  return Object.assign(step, { [DECLARES_ACCESS]: true as const });
}

/** `/v2/`: any client the policy lets in. */
export const requiresBase = (): AccessStep => accessStep(() => ({ kind: 'base' }));

/** `/v2/_catalog`: the registry-wide listing (filtered by `mayList` in the route). */
export const requiresCatalog = (): AccessStep => accessStep(() => ({ kind: 'catalog' }));

/**
 * A route under `/v2/<name>/...`: every one of `actions` on the route's `:name`, which is
 * parsed first (a malformed name is `NAME_INVALID`, before credentials are looked at).
 */
export function requires(...actions: [RepoAction, ...RepoAction[]]): AccessStep {
  return accessStep((c) => ({ kind: 'repository', name: parseRepoName(c.req.param('name') ?? ''), actions }));
}

/**
 * `GET|HEAD /v2/<name>/blobs/<digest>`: pull, naming the blob, as a redirect token (an edge
 * fetching a miss) is valid only for the blob it names.
 */
export function requiresBlobPull(): AccessStep {
  return accessStep((c) => {
    const digest = c.req.param('digest') ?? '';
    const name = parseRepoName(c.req.param('name') ?? '');
    return { kind: 'repository', name, actions: ['pull'], ...(isDigest(digest) && { blob: digest }) };
  });
}

/**
 * In front of every `/v2` route: hands the routes' access steps the policy, and refuses (404,
 * as for an unknown endpoint) any request whose matched routes declare no access step.
 */
export function accessGate(policy: AccessPolicy, clientAddress: (c: Context) => string): MiddlewareHandler {
  return async function gate(c, next) {
    if (!matchedRoutes(c).some((route) => declaresAccess(route.handler))) {
      const message = `no such endpoint: ${c.req.method} ${c.req.path}`.slice(0, 300);
      throw new OciError('UNSUPPORTED', { status: 404, message });
    }
    c.set('accessPolicy', { policy, clientAddress });
    await next();
  };
}

/**
 * The route's repository name, parsed, and the same one access was checked for; anything
 * else (a handler whose access step read another route's name) is refused.
 */
export function authorizedRepository(c: Context): RepoName {
  const name = parseRepoName(c.req.param('name') ?? '');
  if (c.get('authorizedRepository') !== name) {
    const message = 'the repository of this request could not be authorized';
    throw new OciError('DENIED', { message, detail: { name } });
  }
  return name;
}
