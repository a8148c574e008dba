/** @module Headers every registry response carries. */
import type { MiddlewareHandler } from 'hono';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';
export const API_VERSION = 'registry/2.0';

/** Adds `Docker-Distribution-API-Version: registry/2.0` to every /v2 response (spec "API Version Check"). */
export const apiVersionHeader: MiddlewareHandler = async function apiVersionHeader(c, next) {
  await next();
  if (c.get('sentStatus') === undefined) c.res.headers.set(API_VERSION_HEADER, API_VERSION);
};
