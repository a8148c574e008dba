/**
 * @module Tells main that this edge's upstream cache failed a fetch, so that main probes that
 * cache now instead of at its next round and stops redirecting to it sooner (issue 11, section
 * 3): `POST <main>/api/v0/content_caches/trouble` with `{token, name, nodeId, upstream}`, the token
 * being the node's credential on main (before it has one, the join token), `name` and `nodeId` the node, `upstream` the failing cache's URL as this edge
 * knows it. Main answers 204 (401 for a token it does not accept).
 *
 * Best effort: the caller does not wait, a failure is logged at debug level and forgotten (the
 * edge has fallen back to main already; main's periodic probe still runs). At most one report
 * per `minIntervalMs`, however many misses fail, so a dead cache costs main one request per
 * interval and edge. The token is never logged.
 */
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../src/log/logger.js';

export interface TroubleReporterOptions {
  /** Main's URL (the edge's `issuer`). */
  mainUrl: string;
  /** The node credential, else the join token (read at each report). */
  token: () => string | undefined;
  /** This node: its cache and id. */
  name: string;
  nodeId: string;
  /** The upstream cache's URL (`upstream` in the edge's config). */
  upstream: string;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => number;
  /** Default 30 s. */
  minIntervalMs?: number;
}

const REQUEST_TIMEOUT_MS = 5_000;

/** Returns `report`: sends a report unless one was sent within `minIntervalMs`; never throws. */
export function createTroubleReporter(options: TroubleReporterOptions): () => void {
  const now = options.now ?? Date.now;
  const minIntervalMs = options.minIntervalMs ?? 30_000;
  const url = `${options.mainUrl}/api/v0/content_caches/trouble`;
  const body = () =>
    JSON.stringify({ token: options.token(), name: options.name, nodeId: options.nodeId, upstream: options.upstream });
  let lastSent = Number.NEGATIVE_INFINITY;

  async function send(): Promise<void> {
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { 'content-type': 'application/json' },
        body: body(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.body.dump();
      options.logger.debug('reported the upstream cache failing to main', {
        upstream: options.upstream,
        status: res.statusCode,
      });
    } catch (err) {
      options.logger.debug('could not report the upstream cache failing to main', {
        upstream: options.upstream,
        reason: (err as Error).message,
      });
    }
  }

  return () => {
    if (now() - lastSent < minIntervalMs) return;
    lastSent = now();
    void send();
  };
}
