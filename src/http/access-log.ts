/**
 * @module The access log: one info line per request, written when the answer is done.
 *
 * A line holds the method, the route template (never the raw path: no repository names with
 * tokens in them, no query string at all, so the signed redirect URL's `token` cannot leak), the
 * status, the body bytes sent, the duration in milliseconds, the user and, for blob GETs, what
 * was done with them (`cacheDecision`). It never holds a header: credentials travel there.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../log/logger.js';
import { routeOf } from './request-metrics.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** What a blob GET became: `redirected:<cache>`, `direct:<reason>`, `hit`, `miss`... (access log). */
    cacheDecision?: string;
  }
}

export interface AccessLogOptions {
  logger: Logger;
  /**
   * Which requests are logged: 1 logs every one (production), 0 none, 0.1 about one in ten
   * (`npm start`, where pulls would flood the terminal).
   */
  sampleRate: number;
  /** Who made the request, once authentication ran (undefined: anonymous or not known). */
  userOf?: (c: Context) => string | undefined;
  random?: () => number;
}

// A type, not an interface: it is handed to the logger as its fields (an index signature).
export type AccessRecord = {
  method: string;
  route: string;
  status: number;
  bytes: number;
  durationMs: number;
  user?: string;
  cacheDecision?: string;
};

/** Writes one access record, or none when it is not sampled: for the middleware and for the hot paths outside Hono. */
export type AccessLogWriter = (record: AccessRecord) => void;

export function createAccessLogWriter(options: Omit<AccessLogOptions, 'userOf'>): AccessLogWriter {
  const random = options.random ?? Math.random;
  const logger = options.logger.child({ log: 'access' });
  const { sampleRate } = options;
  return (record) => {
    if (sampleRate <= 0 || (sampleRate < 1 && random() >= sampleRate)) return;
    logger.info('request', record);
  };
}

export function accessLog(options: AccessLogOptions): MiddlewareHandler {
  const write = createAccessLogWriter(options);
  return async function logRequest(c, next) {
    if (options.sampleRate <= 0) return next();
    const started = performance.now();
    await next();
    const status = c.get('sentStatus') ?? c.res.status;
    const sent = c.get('sentBytes') ?? Number(c.res.headers.get('content-length') ?? 0);
    const user = options.userOf?.(c);
    const cacheDecision = c.get('cacheDecision');
    write({
      method: c.req.method,
      route: routeOf(c),
      status,
      bytes: c.req.method === 'HEAD' ? 0 : sent,
      durationMs: elapsedMs(started),
      ...(user !== undefined && { user }),
      ...(cacheDecision !== undefined && { cacheDecision }),
    });
  };
}

/** Milliseconds since `started` (performance.now()), to a tenth. */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
