/** @module Headers every registry response carries. */
import type { MiddlewareHandler } from 'hono';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';
export const API_VERSION = 'registry/2.0';

/**
 * Adds `Docker-Distribution-API-Version: registry/2.0` to every /v2 response (spec
 * "Determining support"), and `Content-Length: 0` to empty 201/202 answers so that clients
 * do not see a chunked empty body.
 */
export const registryHeaders: MiddlewareHandler = async function registryHeaders(c, next) {
  await next();
  if (c.get('sentStatus') !== undefined) return;
  c.res.headers.set(API_VERSION_HEADER, API_VERSION);
  if (c.res.body === null && c.res.status !== 204 && c.res.status !== 304 && !c.res.headers.has('content-length')) {
    c.res.headers.set('Content-Length', '0');
  }
};
