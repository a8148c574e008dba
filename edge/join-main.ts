/**
 * @module Registration on main at start-up with a join token (`--join-token`, created on main
 * by `outpost main cache token create`): `POST <main>/api/v0/content_caches/join` with this
 * edge's name, public URL, region and upstream. Main adds the cache, or moves it to this URL.
 *
 * A node that joined with a token before registers with the node credential main gave it then
 * (edge/node-credential.ts), which does not expire; if main refuses the credential (a replaced
 * node), the join token is tried. A credential in main's answer is kept for the next requests.
 *
 * The edge serves whatever the outcome: a failed registration is logged with main's reason and
 * the edge keeps answering the tokens main already issues for it. An unreachable or starting
 * main (connection refused, 5xx) is tried again until it answers, with capped, jittered pauses
 * (edge/backoff.ts): an edge started while main is down registers once main is back. A refusal
 * (wrong or expired token, invalid name) is not tried again. The token is never logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../src/log/logger.js';
import { readResponseText } from '../src/http/read-response.js';
import { backoffDelayMs } from './backoff.js';
import type { EdgeCredentials } from './node-credential.js';

export interface JoinMainOptions {
  /** Main's URL (the edge's `issuer`). */
  mainUrl: string;
  /** The join token and the node credential, whichever the edge has (at least one). */
  credentials: EdgeCredentials;
  name: string;
  /** This edge's id in the group `name`; absent, main moves the cache to `host` (a single-node cache). */
  nodeId?: string;
  /** This edge's public URL: where main will redirect pulls. */
  host: string;
  region?: string;
  /** The edge's upstream URL; equal to `mainUrl` when it pulls from main. */
  upstream: string;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Aborted when the edge stops: no further attempts. */
  signal: AbortSignal;
  /** Gives up after this many failed attempts. Default: never (until `signal` aborts). */
  attempts?: number;
  /** Pause after the first failed attempt, doubled after each further one (jittered). Default 1 s. */
  retryDelayMs?: number;
  /** The longest pause between attempts. Default 60 s. */
  maxRetryDelayMs?: number;
}

export type JoinOutcome =
  /** Main registered (or updated) this cache. */
  | 'joined'
  /** Main refused the request (token, name, host): trying again would not help. */
  | 'refused'
  /** Main could not be reached, or failed, on every attempt allowed (or the edge stopped first). */
  | 'unavailable';

const REQUEST_TIMEOUT_MS = 10_000;

// Main's error envelope is a few hundred bytes: more is not main's answer, and is not read.
const MAX_REASON_BYTES = 64 * 1024;

/** Main's error message from its `{"errors":[{code,message}]}` envelope, or the status. */
async function reasonOf(res: Dispatcher.ResponseData): Promise<string> {
  const text = await readResponseText(res.body, MAX_REASON_BYTES, 'the answer to the join request').catch(() => '');
  try {
    const first = (JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (first?.message) return `${first.code ?? res.statusCode}: ${first.message}`;
  } catch {
    // not main's envelope: the status says enough
  }
  return `main answered ${res.statusCode}`;
}

/** Keeps the credential main issued with this join, if any. */
async function keepIssuedCredential(res: Dispatcher.ResponseData, credentials: EdgeCredentials): Promise<void> {
  const text = await readResponseText(res.body, MAX_REASON_BYTES, 'the answer to the join request');
  const { nodeCredential } = JSON.parse(text) as { nodeCredential?: unknown };
  if (typeof nodeCredential === 'string') await credentials.issued(nodeCredential);
}

export async function joinMain(options: JoinMainOptions): Promise<JoinOutcome> {
  const { logger, signal } = options;
  const attempts = options.attempts ?? Infinity;
  const backoff = { baseMs: options.retryDelayMs ?? 1_000, capMs: options.maxRetryDelayMs ?? 60_000 };
  const url = `${options.mainUrl}/api/v0/content_caches/join`;
  // The node credential while main accepts it, then the join token.
  let useCredential = options.credentials.nodeCredential !== undefined && options.nodeId !== undefined;
  const body = () =>
    JSON.stringify({
      token: useCredential ? options.credentials.nodeCredential : options.credentials.joinToken,
      name: options.name,
      ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
      host: options.host,
      ...(options.region !== undefined && { region: options.region }),
      // "" tells main "pull from main", whatever URL this edge reaches main at.
      upstream: options.upstream === options.mainUrl ? '' : options.upstream,
    });
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { 'content-type': 'application/json' },
        body: body(),
        signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      if (res.statusCode === 200 || res.statusCode === 201) {
        await keepIssuedCredential(res, options.credentials);
        logger.info('registered on main', {
          main: options.mainUrl,
          name: options.name,
          node: options.nodeId,
          host: options.host,
          created: res.statusCode === 201,
        });
        return 'joined';
      }
      reason = await reasonOf(res);
      if (res.statusCode < 500 && useCredential && options.credentials.joinToken !== undefined) {
        logger.warn("main refused this node's credential; registering with the join token", {
          main: options.mainUrl,
          reason,
        });
        useCredential = false;
        attempt--;
        continue;
      }
      if (res.statusCode < 500) {
        logger.error('main refused to register this cache; serving anyway', {
          main: options.mainUrl,
          name: options.name,
          status: res.statusCode,
          reason,
        });
        return 'refused';
      }
    } catch (err) {
      reason = (err as Error).message || 'unreachable';
    }
    if (signal.aborted) return 'unavailable';
    if (attempt >= attempts) {
      logger.error('could not register on main; serving anyway', {
        main: options.mainUrl,
        name: options.name,
        attempts,
        reason,
      });
      return 'unavailable';
    }
    const delayMs = backoffDelayMs(attempt, backoff);
    // A long outage is one warning, then a quieter line per attempt (at most one a minute).
    const log = attempt === 1 ? logger.warn : logger.info;
    log.call(logger, 'registering on main failed, trying again', {
      main: options.mainUrl,
      attempt,
      reason,
      retryInMs: delayMs,
    });
    try {
      await sleep(delayMs, undefined, { signal });
    } catch {
      return 'unavailable';
    }
  }
}
