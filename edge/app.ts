/**
 * @module Wires the edge's routes into one Hono app; every service is built by service.ts.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { createErrorHandler, notFoundHandler, ociErrorResponse, toOciError } from '../src/http/error-handler.js';
import { OciError } from '../src/oci/errors.js';
import { CacheIndexWriteError } from './cache/cache-index.js';
import { registryHeaders } from '../src/http/headers.js';
import { requestMetrics } from '../src/http/request-metrics.js';
import { accessLog } from '../src/http/access-log.js';
import { opsRoutes, type HealthCheck } from '../src/http/ops-routes.js';
import type { Logger } from '../src/log/logger.js';
import type { EdgeMetrics } from './metrics.js';
import { edgeBlobRoutes, type EdgeBlobRoutesDeps } from './routes/blobs.js';
import { edgeAdminRoutes, type EdgeAdminRoutesDeps } from './routes/admin.js';

export interface EdgeAppDeps extends EdgeBlobRoutesDeps {
  logger: Logger;
  metrics: EdgeMetrics;
  health: HealthCheck;
  admin?: EdgeAdminRoutesDeps;
  /** Share of requests in the access log (config `log.accessSampleRate`); none when absent. */
  accessLogSampleRate?: number;
}

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono({ strict: false });
  app.onError(createErrorHandler(deps.logger, [withEdgeChallenge, indexWriteFailure]));
  app.notFound(notFoundHandler);
  // First, so that every answer is logged, refusals included.
  app.use('*', accessLog({ logger: deps.logger, sampleRate: deps.accessLogSampleRate ?? 0 }));
  app.use('*', requestMetrics(deps.metrics.http));
  app.route('/', opsRoutes({ health: deps.health, metrics: deps.metrics.registry }));
  if (deps.admin) app.route('/api/v0/cache', edgeAdminRoutes(deps.admin));

  const v2 = new Hono();
  v2.use('*', registryHeaders);
  v2.get('/', (c) => c.json({}));
  v2.route('/', edgeBlobRoutes(deps));
  app.route('/v2', v2);
  return app;
}

/**
 * RFC 9110 section 15.5.2: a 401 carries a `WWW-Authenticate` challenge. What the edge accepts is
 * a redirect token from main (RFC 6750 Bearer, in the `token` query parameter or the header); a
 * client cannot obtain one here, so the challenge names it rather than a token endpoint, and
 * says `invalid_token` when one was presented. Routes that set their own challenge keep it.
 */
function withEdgeChallenge(err: unknown, c: Context): Response | undefined {
  const oci = toOciError(err);
  if (oci?.status !== 401) return undefined;
  if (Object.keys(oci.headers).some((h) => h.toLowerCase() === 'www-authenticate')) return undefined;
  const presented = c.req.query('token') !== undefined || c.req.header('authorization') !== undefined;
  const challenge = `Bearer realm="outpost-edge"${presented ? ',error="invalid_token"' : ''}`;
  const headers = { ...oci.headers, 'WWW-Authenticate': challenge };
  const { code, message, detail, status } = oci;
  return ociErrorResponse(new OciError(code, { message, detail, status, headers }));
}

/** A failed index write (disk full, I/O error) changed nothing: 503, worth retrying later, not a 500. */
function indexWriteFailure(err: unknown): Response | undefined {
  if (!(err instanceof CacheIndexWriteError)) return undefined;
  return ociErrorResponse(
    new OciError('UNAVAILABLE', {
      message: `the cache index could not be written (${err.operation}); nothing was changed, try again later`,
      detail: { reason: err.code, ...(err.causeCode !== undefined && { cause: err.causeCode }) },
    }),
  );
}
