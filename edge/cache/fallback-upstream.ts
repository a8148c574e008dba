/**
 * @module An upstream cache with main behind it (issue 11, section 3): misses go to the next
 * cache of the chain, and to main when that cache fails before answering (connection refused or
 * reset, no answer in time, a 5xx), so a dead middle of a chain costs no pull. Main accepts the
 * same redirect token from any cache its `aud` names (main/auth/redirect-access.ts).
 *
 * - What the cache answers about the blob or the token (404, 401, 403) is its answer and is
 *   passed on: main would say the same, or the token is not good for this chain.
 * - After a failure, misses go straight to main for `recheckAfterMs`, since a dead cache would
 *   cost each of them a connect (a hung one a timeout); then the cache is asked again. While main
 *   fails as well, the cache is asked first each time.
 * - Falling back is logged at info once per failure episode, as is the cache's return (an
 *   operator expects a dead middle to be handled, not alarmed about; main's probe and the
 *   middle's own health say what is wrong there); `outpost_edge_upstream_fallbacks_total`
 *   counts every miss main served instead; `onCacheFailure` hears of each failure (so that
 *   main can probe the cache at once: report-trouble.ts).
 * - A failure after the first byte is not moved to main: the download fails its clients, who
 *   retry, as with any upstream; the retry then finds the episode (or the cache back).
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../../src/log/logger.js';
import { UpstreamError, type Upstream } from './upstream.js';

export interface FallbackUpstreamOptions {
  /** The next cache of the chain (`upstream` in the edge's config). */
  cache: Upstream;
  /** Main (the edge's `issuer`). */
  main: Upstream;
  /** Counts the misses fetched from main because the cache failed. */
  fallbacks: Pick<Counter, 'inc'>;
  logger: Logger;
  now?: () => number;
  /** How long misses skip a cache that failed before it is asked again. Default 10 s. */
  recheckAfterMs?: number;
  /** Called at each failure of the cache (report-trouble.ts tells main); must not throw. */
  onCacheFailure?: () => void;
}

export interface FallbackUpstream extends Upstream {
  /** Whether misses go to main now because the cache failed (for /health). */
  fallingBack(): boolean;
}

/** A failure of the cache itself, as opposed to its answer about the blob or the token. */
export function isCacheFailure(err: unknown): err is UpstreamError {
  if (!(err instanceof UpstreamError)) return false;
  if (err.code === 'OUTPOST_UPSTREAM_UNAVAILABLE') return true;
  return err.code === 'OUTPOST_UPSTREAM_STATUS' && err.status !== undefined && err.status >= 500;
}

export function createFallbackUpstream(options: FallbackUpstreamOptions): FallbackUpstream {
  const { cache, main, logger } = options;
  const now = options.now ?? Date.now;
  const recheckAfterMs = options.recheckAfterMs ?? 10_000;
  /** Set while the cache is failing: since when, and its last failure. */
  let episode: { since: number; lastFailure: number } | undefined;

  function failed(err: UpstreamError): void {
    options.onCacheFailure?.();
    const at = now();
    if (episode) {
      episode.lastFailure = at;
      return;
    }
    episode = { since: at, lastFailure: at };
    logger.info('upstream cache failed: misses are fetched from main until it answers again', {
      cache: cache.baseUrl,
      main: main.baseUrl,
      reason: err.message,
      ...(err.status !== undefined && { status: err.status }),
    });
  }

  function answered(): void {
    if (!episode) return;
    logger.info('upstream cache answers again: misses go to it', {
      cache: cache.baseUrl,
      failedForMs: now() - episode.since,
    });
    episode = undefined;
  }

  async function withFallback<T>(ask: (upstream: Upstream) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!episode || now() - episode.lastFailure >= recheckAfterMs) {
      try {
        const result = await ask(cache);
        answered();
        return result;
      } catch (err) {
        // Shutting down is no failure of the cache.
        if (!isCacheFailure(err) || signal?.aborted) {
          if (err instanceof UpstreamError && !isCacheFailure(err)) answered();
          throw err;
        }
        failed(err);
      }
    }
    options.fallbacks.inc();
    try {
      return await ask(main);
    } catch (err) {
      // Main fails too: ask the cache first again next time, it may well be back before main.
      if (isCacheFailure(err) && episode) episode.lastFailure = Number.NEGATIVE_INFINITY;
      throw err;
    }
  }

  return {
    baseUrl: cache.baseUrl,
    dispatcher: cache.dispatcher,
    fetchBlob: (name, digest, token, signal) => withFallback((u) => u.fetchBlob(name, digest, token, signal), signal),
    statBlob: (name, digest, token) => withFallback((u) => u.statBlob(name, digest, token)),
    ping: () => cache.ping(),
    fallingBack: () => episode !== undefined,
    async close() {
      await cache.close();
      if (main.dispatcher !== cache.dispatcher) await main.close();
    },
  };
}
