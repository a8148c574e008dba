/**
 * @module Records the security events that an answer alone tells (main/audit/audit-log.ts):
 * refused pushes and pulls (403, or 401 to a bearer token), refused join tokens (401 on the edges'
 * join, heartbeat and trouble routes), and administrators' changes through the API and the admin
 * pages (any write to their routes that succeeded or was refused with 401/403).
 *
 * It reads the route template, status, caller and address after the answer; never a body, a
 * header value or a query string. Sign-ins and throttling are recorded where they are decided
 * (main/auth/authenticator.ts, login-throttle.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { decodeJwt } from 'jose';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { clientAddress } from '../../src/http/node-bindings.js';
import { routeOf } from '../../src/http/request-metrics.js';
import type { AuditLog, AuditType } from '../audit/audit-log.js';

const EDGE_ROUTES = new Set([
  '/api/v0/content_caches/join',
  '/api/v0/content_caches/heartbeat',
  '/api/v0/content_caches/trouble',
]);

/** Which administrative change a write to `route` is, or undefined for a route that is not one. */
export function adminChangeOf(route: string): AuditType | undefined {
  if (EDGE_ROUTES.has(route)) return undefined;
  if (/^\/api\/v0\/accounts\/\{org\}\/teams|\/teamAccess\//.test(route)) return 'admin.teams';
  if (/^\/api\/v0\/accounts\/\{org\}\/members|^\/admin\/organizations/.test(route)) return 'admin.orgs';
  if (/^\/api\/v0\/accounts|^\/admin\/users/.test(route)) return 'admin.users';
  if (/^\/api\/v0\/meta\/settings|^\/admin\/settings/.test(route)) return 'admin.settings';
  if (/^\/api\/v0\/content_caches|^\/admin\/caches/.test(route)) return 'admin.caches';
  return undefined;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// `/v2/<name>/blobs/...`, `/v2/<name>/manifests/...`, `/v2/<name>/tags/list`: the repository asked for.
const REPOSITORY = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//;

const userOf = (c: Context): string => {
  const principal = c.get('auth')?.principal ?? c.get('principal');
  return principal?.kind === 'user' ? principal.name : 'anonymous';
};

/**
 * Who a refused registry request came from. The access policy refuses before it names a caller
 * on the context; but a 403 follows verified credentials (a wrong password or a bad token is a
 * 401), so the Basic name or the token's subject is the caller's.
 */
function refusedCaller(c: Context, status: number): string {
  const known = userOf(c);
  if (known !== 'anonymous' || status !== 403) return known;
  const credentials = parseAuthorization(c.req.header('authorization'));
  if (credentials === 'malformed' || credentials === undefined) return known;
  if (credentials.kind === 'basic') return credentials.username;
  try {
    const subject = decodeJwt(credentials.token).sub;
    return typeof subject === 'string' ? subject : known;
  } catch {
    return known;
  }
}

export function auditRequests(audit: Pick<AuditLog, 'record'>): MiddlewareHandler {
  return async function auditAnswer(c, next) {
    await next();
    const status = c.get('sentStatus') ?? c.res.status;
    if (status !== 401 && status !== 403 && (status >= 400 || !WRITES.has(c.req.method))) return;
    const route = routeOf(c);
    const detail = { method: c.req.method, route, status, address: clientAddress(c) };
    if (route.startsWith('/v2/')) {
      const bearer = c.req.header('authorization')?.startsWith('Bearer ') === true;
      if (status === 403 || (status === 401 && bearer)) {
        const action = WRITES.has(c.req.method) ? 'push' : 'pull';
        const target = REPOSITORY.exec(c.req.path)?.[1] ?? '';
        audit.record({
          type: 'registry.refused',
          actor: refusedCaller(c, status),
          target,
          outcome: 'failure',
          detail: { action, ...detail },
        });
      }
      return;
    }
    if (EDGE_ROUTES.has(route)) {
      if (status === 401) audit.record({ type: 'cache.join-refused', actor: 'edge', outcome: 'failure', detail });
      return;
    }
    const type = WRITES.has(c.req.method) ? adminChangeOf(route) : undefined;
    if (type === undefined) return;
    const outcome = status < 400 ? 'success' : 'failure';
    audit.record({ type, actor: userOf(c), target: c.req.path, outcome, detail });
  };
}
