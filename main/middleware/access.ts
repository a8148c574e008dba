/**
 * @module What a registry request needs: the one function that maps method and path to the
 * access it requires (as distribution's `appendAccessRecords` does), and the middleware that
 * asks the access policy. The policy is open until accounts arrive; routes never decide.
 */
import type { MiddlewareHandler } from 'hono';

export type Action = 'pull' | 'push' | 'delete';

export type RequiredAccess =
  /** `/v2/`: any authenticated client (the version check). */
  | { kind: 'base' }
  /** `/v2/_catalog`: registry-wide listing. */
  | { kind: 'catalog' }
  /** Everything under `/v2/<name>/...`. */
  | { kind: 'repository'; name: string; actions: Action[]; mountFrom?: string };

const REPO_PATH = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)(\/.*)?$/;

/** The access a request needs, or undefined for paths outside the registry API. */
export function requiredAccess(method: string, path: string, query: URLSearchParams): RequiredAccess | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const match = REPO_PATH.exec(path);
  if (!match) return undefined;
  const name = match[1]!;
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { kind: 'repository', name, actions: match[3]?.startsWith('/uploads/') ? ['push'] : ['pull'] };
    case 'DELETE':
      // Cancelling one's own upload is part of pushing; removing content is deleting.
      return { kind: 'repository', name, actions: match[3]?.startsWith('/uploads/') ? ['push'] : ['delete'] };
    default: {
      const from = query.get('from');
      return { kind: 'repository', name, actions: ['pull', 'push'], ...(query.get('mount') && from ? { mountFrom: from } : {}) };
    }
  }
}

/** Decides whether the request may proceed; throws an `OciError` (401/403) when not. */
export type AccessPolicy = (request: Request, access: RequiredAccess) => Promise<void> | void;

/** Until accounts exist (issue 3) the registry is open to everyone on its network. */
export const openAccessPolicy: AccessPolicy = () => {};

export function authorize(policy: AccessPolicy): MiddlewareHandler {
  return async function checkAccess(c, next) {
    const url = new URL(c.req.url);
    const access = requiredAccess(c.req.method, url.pathname, url.searchParams);
    if (access) await policy(c.req.raw, access);
    await next();
  };
}
