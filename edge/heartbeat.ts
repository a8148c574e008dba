/**
 * @module The edge's heartbeat to main: every `intervalMs`, `POST <main>/api/v0/content_caches/heartbeat`
 * with the node's credential (or, before it has one, the join token), this node's group and id,
 * and what its /health says: up or not, store use, and its counters since it started (hits,
 * misses, bytes served and fetched, evictions; main's dashboard keeps samples of them). Main uses
 * it with its own probe: an edge main cannot reach (outbound-only networks) stays in use while it
 * reports itself healthy. A failed heartbeat is logged once per outage and tried again at the
 * next beat; the token is never logged.
 */
import { request, type Dispatcher } from 'undici';
import type { HealthCheck } from '../src/http/ops-routes.js';
import type { Logger } from '../src/log/logger.js';

export interface HeartbeatOptions {
  mainUrl: string;
  /** The node credential, else the join token: read at each beat, as a join may issue a credential. */
  token: () => string | undefined;
  name: string;
  nodeId: string;
  intervalMs: number;
  health: HealthCheck;
  dispatcher: Dispatcher;
  logger: Logger;
}

const REQUEST_TIMEOUT_MS = 5_000;

/** Starts beating; the returned function stops it (and waits for a beat in flight). */
export function startHeartbeat(options: HeartbeatOptions): () => Promise<void> {
  const url = `${options.mainUrl}/api/v0/content_caches/heartbeat`;
  const stopping = new AbortController();
  let failing = false;
  let beating: Promise<void> | undefined;

  async function beat(): Promise<void> {
    try {
      const { ok, details } = await options.health();
      const res = await request(url, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: options.token(), name: options.name, nodeId: options.nodeId, ok, details }),
        signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      await res.body.dump();
      if (res.statusCode !== 204) throw new Error(`main answered ${res.statusCode}`);
      if (failing) options.logger.info('heartbeat to main delivered again', { main: options.mainUrl });
      failing = false;
    } catch (err) {
      if (stopping.signal.aborted) return;
      if (!failing)
        options.logger.warn('heartbeat to main failed; trying again at the next beat', {
          main: options.mainUrl,
          reason: (err as Error).message,
        });
      failing = true;
    }
  }

  const timer = setInterval(() => {
    beating ??= beat().finally(() => {
      beating = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    stopping.abort();
    await beating;
  };
}
