/**
 * @module Tells main at once when this edge's upstream cache fails (`POST
 * <main>/api/v0/content_caches/trouble` with the join token and the upstream's URL): main then
 * probes that cache's node now instead of at its next round, and stops redirecting pulls to it
 * after one failed probe. A decorator of `Upstream`: an unreachable upstream or a 5xx counts, a
 * 4xx (the blob is unknown, a token refused) does not. At most one report every `minIntervalMs`;
 * a report that fails is only logged at debug level (main may be what is down).
 */
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../src/log/logger.js';
import { UpstreamError, type Upstream } from './cache/upstream.js';

export interface TroubleReportOptions {
  mainUrl: string;
  token: string;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => number;
  /** Default 2 s. */
  minIntervalMs?: number;
}

const REQUEST_TIMEOUT_MS = 5_000;

const isTrouble = (err: unknown) =>
  err instanceof UpstreamError &&
  (err.code === 'OUTPOST_UPSTREAM_UNAVAILABLE' || (err.status !== undefined && err.status >= 500));

export function withTroubleReports(upstream: Upstream, options: TroubleReportOptions): Upstream {
  const now = options.now ?? Date.now;
  let lastAt = Number.NEGATIVE_INFINITY;
  const report = (err: unknown): void => {
    if (!isTrouble(err) || now() - lastAt < (options.minIntervalMs ?? 2_000)) return;
    lastAt = now();
    request(`${options.mainUrl}/api/v0/content_caches/trouble`, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: options.token, upstream: upstream.baseUrl }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
      .then((res) => res.body.dump())
      .catch((error: unknown) => options.logger.debug('could not report the upstream trouble to main', { error }));
  };
  return {
    get baseUrl() {
      return upstream.baseUrl;
    },
    get dispatcher() {
      return upstream.dispatcher;
    },
    fetchBlob: (name, digest, token, signal) =>
      upstream.fetchBlob(name, digest, token, signal).catch((err: unknown) => {
        report(err);
        throw err;
      }),
    statBlob: (name, digest, token) =>
      upstream.statBlob(name, digest, token).catch((err: unknown) => {
        report(err);
        throw err;
      }),
    ping: () => upstream.ping(),
    close: () => upstream.close(),
  };
}
