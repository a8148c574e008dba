/**
 * @module Wires the edge's routes into one Hono app; every service is built by service.ts.
 */
import { Hono } from 'hono';
import { createErrorHandler, notFoundHandler } from '../src/http/error-handler.js';
import { registryHeaders } from '../src/http/headers.js';
import { requestMetrics } from '../src/http/request-metrics.js';
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
}

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono({ strict: false });
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFoundHandler);
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
