/**
 * @module Main's hot path, in front of the Hono app: a signed-in client's blob `GET` with a
 * registry bearer token, answered with the 307 to the user's content cache straight from
 * Node's request and response. Access: pull on the repository, as the token grants it (the
 * blob route's `requiresBlobPull`).
 *
 * Why: every layer of every pull by a user with a cache asks main for this 307, and Hono's
 * middleware chain (metrics, client address, registry headers, the access gate), the Web
 * Request and Response, cost several times the decision itself (`load/`, main-redirects).
 * What it must not do: answer anything differently. It calls the same steps as the route (the
 * authenticator, the token's grant, the blob index, the redirect decision), sends the same
 * status and headers, and records the same metrics; anything else (another method or query,
 * Basic or no credentials, a redirect token, an edge warming its cache, a refused token or
 * scope, an unknown blob, a decision to serve the bytes here, any error) resolves false and
 * goes through the app, which decides and words every refusal as always.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAuthorization } from '../../../src/auth/challenge.js';
import { grants } from '../../../src/auth/scope.js';
import { API_VERSION, API_VERSION_HEADER } from '../../../src/http/headers.js';
import type { NodeFastPath } from '../../../src/http/serve.js';
import type { HttpMetrics } from '../../../src/metrics/http-metrics.js';
import { elapsedMs, type AccessLogWriter } from '../../../src/http/access-log.js';
import { parseDigest } from '../../../src/oci/digest.js';
import { parseRepoName } from '../../../src/oci/reference.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { CachesModule } from '../../caches/caches-module.js';
import type { Registry } from '../../registry/registry.js';
import { EDGE_REQUEST_HEADER } from './blobs.js';

/** The blob route's template, as the request metrics label it. */
export const BLOB_ROUTE = '/v2/{name}/blobs/{digest}';

// `/v2/<name>/blobs/<algorithm>:<hex>`, nothing more: no query, no trailing slash, no escapes.
const BLOB_URL = /^\/v2\/([a-z0-9][a-z0-9._/-]*)\/blobs\/([a-z0-9]+:[a-f0-9]+)$/;
const EDGE_HEADER = EDGE_REQUEST_HEADER.toLowerCase();

export interface BlobRedirectFastPathDeps {
  authenticator: Pick<Authenticator, 'bearer'>;
  registry: Pick<Registry, 'blobs'>;
  caches: Pick<CachesModule, 'redirects' | 'metrics'>;
  http: HttpMetrics;
  /** The client's address from the peer's and `X-Forwarded-For` (main/middleware/client-address.ts). */
  clientAddress: (peer: string, forwardedFor: string | undefined) => string;
  /** The access log, as the app writes it. */
  accessLog?: AccessLogWriter;
}

export function createBlobRedirectFastPath(deps: BlobRedirectFastPathDeps): NodeFastPath {
  /** The 307 to send, or undefined for the app to answer. Rejects on errors: the app answers those too. */
  async function redirectFor(
    incoming: IncomingMessage,
  ): Promise<{ location: string; digest: string; cache: string; user?: string } | undefined> {
    const match = BLOB_URL.exec(incoming.url ?? '');
    if (!match) return undefined;
    const credentials = parseAuthorization(incoming.headers.authorization);
    if (typeof credentials !== 'object' || credentials.kind !== 'bearer') return undefined;
    const name = parseRepoName(match[1]!);
    const digest = parseDigest(match[2]!);
    // A redirect token (an edge fetching a miss) is refused here, as every token that is not a
    // registry token (src/auth/registry-token.ts): the app then takes it its own way.
    const identity = await deps.authenticator.bearer(credentials.token);
    if (!grants(identity.access, 'repository', name, ['pull'])) return undefined;
    // The blob must exist here before anyone is sent elsewhere for it (the route's order).
    await deps.registry.blobs.stat(name, digest);
    const forwardedFor = incoming.headers['x-forwarded-for'];
    const address = deps.clientAddress(
      incoming.socket.remoteAddress ?? 'unknown',
      Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
    );
    const decision = await deps.caches.redirects.decide(identity.principal, name, digest, address);
    if (decision.kind !== 'redirect') return undefined;
    deps.caches.metrics.redirects.inc({ cache: decision.cache });
    const user = identity.principal.kind === 'user' ? identity.principal.name : undefined;
    return { location: decision.location, digest, cache: decision.cache, ...(user !== undefined && { user }) };
  }

  return function blobRedirectFastPath(incoming: IncomingMessage, outgoing: ServerResponse) {
    if (incoming.method !== 'GET' || incoming.headers[EDGE_HEADER] !== undefined) return false;
    if (incoming.headers.authorization?.startsWith('Bearer ') !== true) return false;
    const started = performance.now();
    return redirectFor(incoming).then((redirect) => {
      if (redirect === undefined) return false;
      outgoing.writeHead(307, {
        Location: redirect.location,
        'Docker-Content-Digest': redirect.digest,
        'Cache-Control': 'no-store',
        [API_VERSION_HEADER]: API_VERSION,
        'Content-Length': '0',
      });
      outgoing.end();
      // The series the request-metrics middleware records for the route's 307.
      deps.http.requests.inc({ method: 'GET', route: BLOB_ROUTE, code: '307' });
      deps.http.duration.observe({ method: 'GET', route: BLOB_ROUTE }, (performance.now() - started) / 1000);
      deps.accessLog?.({
        method: 'GET',
        route: BLOB_ROUTE,
        status: 307,
        bytes: 0,
        durationMs: elapsedMs(started),
        ...(redirect.user !== undefined && { user: redirect.user }),
        cacheDecision: `redirected:${redirect.cache}`,
      });
      return true;
    });
  };
}
