/**
 * @module What a registry request needs: the one function that maps method and path to the
 * access it requires (as distribution's `appendAccessRecords` does), and the middleware that
 * asks the access policy and leaves the caller's rights in `c.var.auth` for the routes.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { OciError } from '../../src/oci/errors.js';
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
  may(repository: string, action: RepoAction): boolean;
  /** The request carried a redirect token (from an edge): answer it here, never redirect it. */
  viaRedirectToken?: boolean;
}

declare module 'hono' {
  interface ContextVariableMap {
    auth: AuthContext;
    /** The repository name the access policy checked. */
    authorizedRepository?: string;
  }
}

/**
 * The registry's routes, as the router matches them: the name is greedy (`/:name{.+}/...`),
 * so it runs to the last occurrence of the route's suffix. Kept in step with main/routes/v2;
 * `authorizedRepository` makes the routes refuse any request whose name differs from the one
 * authorized here.
 */
type RouteKind = 'upload-start' | 'upload' | 'blob' | 'manifest' | 'tags' | 'referrers';
const ROUTES: Array<{ kind: RouteKind; pattern: RegExp; methods?: string[] }> = [
  { kind: 'tags', pattern: /^\/v2\/(.+)\/tags\/list\/?$/ },
  { kind: 'referrers', pattern: /^\/v2\/(.+)\/referrers\/([^/]+)\/?$/ },
  { kind: 'upload-start', pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: ['POST'] },
  { kind: 'upload', pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)\/?$/, methods: ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'] },
  { kind: 'blob', pattern: /^\/v2\/(.+)\/blobs\/([^/]+)\/?$/ },
  { kind: 'manifest', pattern: /^\/v2\/(.+)\/manifests\/([^/]+)\/?$/ },
];
const DIGEST = /^(sha256|sha512):[a-f0-9]+$/;

function matchRoute(method: string, path: string): { kind: RouteKind; name: string; last?: string } | undefined {
  for (const route of ROUTES) {
    if (route.methods && !route.methods.includes(method)) continue;
    const match = route.pattern.exec(path);
    if (match) return { kind: route.kind, name: match[1]!, ...(match[2] !== undefined && { last: match[2] }) };
  }
  return undefined;
}

/** The access a request needs, or undefined for paths outside the registry API. */
export function requiredAccess(method: string, path: string): RequiredAccess | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog' || path === '/v2/_catalog/') return { kind: 'catalog' };
  const route = matchRoute(method === 'HEAD' ? 'GET' : method, path);
  if (!route) return undefined;
  const { kind, name } = route;
  if (kind === 'upload-start' || kind === 'upload') {
    // Pushing covers starting, writing, checking and cancelling one's own upload.
    return { kind: 'repository', name, actions: kind === 'upload-start' || method !== 'GET' ? ['pull', 'push'] : ['push'] };
  }
  switch (method) {
    case 'GET':
    case 'HEAD': {
      const blob = kind === 'blob' && route.last !== undefined && DIGEST.test(route.last) ? route.last : undefined;
      return { kind: 'repository', name, actions: ['pull'], ...(blob && { blob }) };
    }
    case 'DELETE':
      return { kind: 'repository', name, actions: ['delete'] };
    default:
      return { kind: 'repository', name, actions: ['pull', 'push'] };
  }
}

/** Decides whether the request may proceed; throws an `OciError` (401/403/404) when not. */
export type AccessPolicy = (request: Request, access: RequiredAccess, clientAddress: string) => Promise<AuthContext>;

export function authorize(policy: AccessPolicy, clientAddress: (c: Context) => string): MiddlewareHandler {
  return async function checkAccess(c, next) {
    const access = requiredAccess(c.req.method, c.req.path);
    // Fail closed: a /v2 path this table does not know gets no further than the 404.
    if (!access) throw new OciError('UNSUPPORTED', { status: 404, message: `no such endpoint: ${c.req.method} ${c.req.path}`.slice(0, 300) });
    c.set('auth', await policy(c.req.raw, access, clientAddress(c)));
    if (access.kind === 'repository') c.set('authorizedRepository', access.name);
    await next();
  };
}

/**
 * The route's repository name, parsed, and the same one access was checked for; anything
 * else (a path the table above reads differently from the router) is refused.
 */
export function authorizedRepository(c: Context): RepoName {
  const name = parseRepoName(c.req.param('name') ?? '');
  if (c.get('authorizedRepository') !== name) {
    throw new OciError('DENIED', { message: 'the repository of this request could not be authorized', detail: { name } });
  }
  return name;
}
