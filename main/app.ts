/**
 * @module Wires main's routes and middleware into one Hono app. No I/O happens here: every
 * service is built by service.ts (or a test) and passed in.
 */
import { Hono, type Context } from 'hono';
import type { Registry as MetricsRegistry } from 'prom-client';
import { createErrorHandler, notFoundHandler } from '../src/http/error-handler.js';
import { registryHeaders } from '../src/http/headers.js';
import { requestMetrics } from '../src/http/request-metrics.js';
import { accessLog } from '../src/http/access-log.js';
import { opsRoutes, type HealthCheck } from '../src/http/ops-routes.js';
import { clientAddress } from '../src/http/node-bindings.js';
import type { HttpMetrics } from '../src/metrics/http-metrics.js';
import type { Logger } from '../src/log/logger.js';
import type { Digest } from '../src/oci/digest.js';
import type { Reference, RepoName } from '../src/oci/reference.js';
import { accessGate, requiresBase, type AccessPolicy } from './middleware/access.js';
import { resolveClientAddress } from './middleware/client-address.js';
import { auditRequests } from './middleware/audit-requests.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Registry } from './registry/registry.js';
import type { PullPolicy } from './registry/pull-policy.js';
import type { Sessions } from './auth/sessions.js';
import { blobRoutes } from './routes/v2/blobs.js';
import type { CachesModule } from './caches/caches-module.js';
import { uploadRoutes } from './routes/v2/uploads.js';
import { manifestRoutes } from './routes/v2/manifests.js';
import { listingRoutes } from './routes/v2/listings.js';
import { tokenRoutes, type TokenRoutesDeps } from './routes/auth-token.js';
import { apiV0Routes, type ManagementServices } from './routes/api-v0/api.js';
import { pingRoutes } from './routes/api-v0/meta.js';
import { webRoutes, type WebDeps } from './web/routes.js';

export interface MainAppDeps {
  registry: Registry;
  /** Asked on every manifest pull: refuses images with findings a repository blocks (issue 12). */
  pullPolicy: PullPolicy;
  logger: Logger;
  metrics: { registry: MetricsRegistry; http: HttpMetrics };
  health: HealthCheck;
  accessPolicy: AccessPolicy;
  auth: TokenRoutesDeps;
  sessions: Sessions;
  /** What the management API (and the event log of the registry routes) works with. */
  management: ManagementServices;
  /** The web pages (sign-in, profile, repository browser, administration). */
  web: WebDeps;
  /** Content caches: where blob pulls are redirected. */
  caches: CachesModule;
  deleteEnabled: boolean;
  /** Blob GETs main would serve go to this presigned URL instead (--blobs-redirect on S3). */
  presignBlob?: (digest: Digest) => Promise<string>;
  maxManifestBytes: number;
  /** Told of every manifest GET served (pull counts for pruning; must not throw or wait). */
  onManifestPull?: (repo: RepoName, reference: Reference) => void;
  /** Proxies whose X-Forwarded-For is believed for the client's address (config `http.trustedProxies`). */
  trustedProxies: readonly string[];
  /** Share of requests in the access log (config `log.accessSampleRate`); none when absent. */
  accessLogSampleRate?: number;
  /** Security events: refusals and admin changes seen in answers (middleware/audit-requests.ts), and the events API. */
  audit?: AuditLog;
}

export function createMainApp(deps: MainAppDeps): Hono {
  // Not strict: `/v2/` and `/v2`, `.../uploads/` and `.../uploads` are the same route, as clients differ.
  const app = new Hono({ strict: false });
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFoundHandler);
  // First, so that every answer is logged, refusals included.
  app.use('*', accessLog({ logger: deps.logger, sampleRate: deps.accessLogSampleRate ?? 0, userOf: userName }));
  app.use('*', requestMetrics(deps.metrics.http));
  if (deps.audit) app.use('*', auditRequests(deps.audit));
  app.use('*', resolveClientAddress(deps.trustedProxies));
  app.route('/', opsRoutes({ health: deps.health, metrics: deps.metrics.registry }));
  app.route('/', tokenRoutes(deps.auth));
  app.route('/', pingRoutes());
  app.route(
    '/api/v0',
    apiV0Routes({
      ...deps.management,
      caches: deps.caches,
      authenticator: deps.auth.authenticator,
      sessions: deps.sessions,
      logger: deps.logger,
      publicUrl: deps.web.publicUrl,
      ...(deps.audit && { audit: deps.audit }),
    }),
  );

  const v2 = new Hono();
  v2.use('*', registryHeaders);
  // Each route declares the access it needs (main/middleware/access.ts); the gate refuses the rest.
  v2.use('*', accessGate(deps.accessPolicy, clientAddress));
  v2.route('/', listingRoutes(deps));
  v2.route('/', uploadRoutes(deps));
  v2.route('/', blobRoutes(deps));
  v2.route('/', manifestRoutes(deps));
  // The version check (spec "Determining support"); answered after the access policy.
  v2.get('/', requiresBase(), (c) => c.json({}));
  app.route('/v2', v2);
  app.route('/', webRoutes(deps.web));
  return app;
}

/** The signed-in user of a request, once the registry's gate or the API's authentication ran. */
function userName(c: Context): string | undefined {
  const principal = c.get('auth')?.principal ?? c.get('principal');
  return principal?.kind === 'user' ? principal.name : undefined;
}
