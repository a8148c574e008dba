/**
 * @module What a registry request needs: the one function that maps method and path to the
 * access it requires (as distribution's `appendAccessRecords` does), and the middleware that
 * asks the access policy and leaves the caller's rights in `c.var.auth` for the routes.
 */
import type { MiddlewareHandler } from 'hono';
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
  }
}

const REPO_PATH = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)(\/.*)?$/;
const BLOB_DIGEST = /^\/(sha256|sha512):[a-f0-9]+$/;

/** The access a request needs, or undefined for paths outside the registry API. */
export function requiredAccess(method: string, path: string): RequiredAccess | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const match = REPO_PATH.exec(path);
  if (!match) return undefined;
  const name = match[1]!;
  const isUpload = match[3]?.startsWith('/uploads') ?? false;
  switch (method) {
    case 'GET':
    case 'HEAD': {
      if (isUpload) return { kind: 'repository', name, actions: ['push'] };
      const isBlob = match[2] === 'blobs' && match[3] !== undefined && BLOB_DIGEST.test(match[3]);
      return { kind: 'repository', name, actions: ['pull'], ...(isBlob && { blob: match[3]!.slice(1) }) };
    }
    case 'DELETE':
      // Cancelling one's own upload is part of pushing; removing content is deleting.
      return { kind: 'repository', name, actions: isUpload ? ['push'] : ['delete'] };
    default:
      return { kind: 'repository', name, actions: ['pull', 'push'] };
  }
}

/** Decides whether the request may proceed; throws an `OciError` (401/403/404) when not. */
export type AccessPolicy = (request: Request, access: RequiredAccess, clientAddress: string) => Promise<AuthContext>;

export function authorize(policy: AccessPolicy, clientAddress: (c: Parameters<MiddlewareHandler>[0]) => string): MiddlewareHandler {
  return async function checkAccess(c, next) {
    const access = requiredAccess(c.req.method, c.req.path);
    if (access) c.set('auth', await policy(c.req.raw, access, clientAddress(c)));
    await next();
  };
}
