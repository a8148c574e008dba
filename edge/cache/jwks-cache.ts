/**
 * @module Main's public keys as the edge sees them: fetched from the JWKS URL (or read from a
 * file for air-gapped sites), kept in LMDB so a restart while main is down still verifies, and
 * refreshed when a token names a key id we do not know.
 *
 * An unknown kid is what a key rotation looks like from here, so such a token waits for the
 * next refresh instead of being refused: the one in flight, or the next one due. Anyone can send
 * made-up kids, so refreshes stay bounded whatever the traffic: one in flight, a new one no
 * sooner than `minRefreshMs` after the last, and every request waiting meanwhile shares it
 * (each is accepted if the refresh brought its kid). Main publishes a new key before it signs
 * with it (src/auth/keys.ts), so the refresh finds it.
 *
 * An edge started with no keys cached while main is unreachable does not exit: it keeps trying
 * with capped, jittered backoff, and `hasKeys` stays false (the edge reports itself unhealthy and
 * answers redirect tokens with 503, since it cannot verify them) until the keys arrive.
 */
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { request, type Dispatcher } from 'undici';
import { readResponseJson } from '../../src/http/read-response.js';
import type { Logger } from '../../src/log/logger.js';
import type { CacheIndex } from './cache-index.js';
import { backoffDelayMs, type Backoff } from '../backoff.js';

export interface KeySourceOptions {
  index: CacheIndex;
  url?: string;
  file?: string;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => number;
  /** Unknown-kid refreshes happen at most this often (requests wait for the next one). Default 5s. */
  minRefreshMs?: number;
  /** Pauses between fetches while the edge has no keys at all. Default 1 s doubling up to 30 s. */
  retry?: Backoff;
}

const DEFAULT_RETRY: Backoff = { baseMs: 1_000, capMs: 30_000 };

// A JWKS holds a handful of keys (about 150 bytes each): anything larger is not main's answer.
const MAX_JWKS_BYTES = 256 * 1024;

export interface KeyFreshness {
  source: 'url' | 'file';
  keys: number;
  /** When the keys were last fetched successfully (ms since epoch), if ever. */
  fetchedAt?: number;
  lastError?: string;
}

function isJwks(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys);
}

export class KeySource {
  private localSet: ReturnType<typeof createLocalJWKSet> | undefined;
  private keyCount = 0;
  private fetchedAt: number | undefined;
  private lastError: string | undefined;
  private lastAttempt = -Infinity;
  private inflight: Promise<void> | undefined;
  /** The refresh waiting for `minRefreshMs` to pass since the last one, shared by its waiters. */
  private due: { promise: Promise<void>; timer: NodeJS.Timeout; fire: () => void } | undefined;
  private stopped = false;
  /** The next fetch while there are no keys at all (start-up with main down and nothing cached). */
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: KeySourceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Loads cached keys, then tries to fetch fresh ones. Never fails: without keys (none cached,
   * main unreachable) it keeps fetching in the background until they arrive (`hasKeys`).
   */
  async start(): Promise<void> {
    const cached = this.options.index.getJwks();
    if (cached) this.use({ keys: cached.keys as JSONWebKeySet['keys'] }, cached.fetchedAt);
    await this.refresh();
    if (this.localSet) return;
    this.options.logger.warn('no signing keys: none cached and main unreachable; unhealthy until they arrive', {
      reason: this.lastError,
    });
    this.retryUntilKeys(1);
  }

  /** Whether any key is at hand: without one no redirect token can be verified. */
  hasKeys(): boolean {
    return this.localSet !== undefined;
  }

  private retryUntilKeys(attempt: number): void {
    if (this.stopped) return;
    const delayMs = backoffDelayMs(attempt, this.options.retry ?? DEFAULT_RETRY);
    this.retryTimer = setTimeout(() => {
      void this.refresh().then(() => {
        if (!this.localSet) this.retryUntilKeys(attempt + 1);
      });
    }, delayMs);
    // The server keeps the process alive; this timer alone must not.
    this.retryTimer.unref();
  }

  /** For `jwtVerify`: looks the key up; an unknown key id waits for the next refresh, then retries once. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      if (!this.localSet) throw new errors.JWKSNoMatchingKey();
      return await this.localSet(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      await this.nextRefresh();
      if (!this.localSet) throw err;
      return this.localSet(header, token);
    }
  };

  /** The refresh in flight, else the one due (started now, or once `minRefreshMs` has passed). */
  private nextRefresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inflight) return this.inflight;
    if (this.due) return this.due.promise;
    const waitMs = this.lastAttempt + (this.options.minRefreshMs ?? 5_000) - this.now();
    if (waitMs <= 0) return this.refresh();
    let fire!: () => void;
    const promise = new Promise<void>((resolve) => (fire = resolve)).then(() => {
      this.due = undefined;
      return this.stopped ? undefined : this.refresh();
    });
    this.due = { promise, fire, timer: setTimeout(() => fire(), waitMs) };
    return promise;
  }

  /** Stops a refresh that is due (its waiters are answered with the keys at hand) and the retries. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (!this.due) return;
    clearTimeout(this.due.timer);
    this.due.fire();
  }

  freshness(): KeyFreshness {
    return {
      source: this.options.file ? 'file' : 'url',
      keys: this.keyCount,
      ...(this.fetchedAt !== undefined && { fetchedAt: this.fetchedAt }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** Fetches the keys now (concurrent callers share one fetch). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      const jwks = this.options.file ? await this.readFile(this.options.file) : await this.fetch(this.options.url!);
      const fetchedAt = this.now();
      const firstKeys = !this.localSet;
      this.use(jwks, fetchedAt);
      // Said here, not by the retry loop: a token's unknown key id may fetch them first.
      if (firstKeys)
        this.options.logger.info('signing keys received: verifying redirect tokens', { keys: this.keyCount });
      this.lastError = undefined;
      // The keys are in use already; a failing disk only costs the copy for the next start.
      await this.options.index.putJwks({ keys: jwks.keys, fetchedAt }).catch((err: unknown) => {
        this.options.logger.warn('could not cache the signing keys in the index', { error: err });
      });
    } catch (err) {
      const first = this.lastError === undefined;
      this.lastError = (err as Error).message;
      // While main stays down, one warning per outage; each further failure only at debug level.
      if (first) this.options.logger.warn('could not refresh signing keys', { error: err });
      else this.options.logger.debug('could not refresh signing keys (still)', { error: err });
    }
  }

  private use(jwks: JSONWebKeySet, fetchedAt: number): void {
    this.localSet = createLocalJWKSet(jwks);
    this.keyCount = jwks.keys.length;
    this.fetchedAt = fetchedAt;
  }

  private async readFile(file: string): Promise<JSONWebKeySet> {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isJwks(parsed)) throw new Error(`${file} is not a JWKS document`);
    return parsed;
  }

  private async fetch(url: string): Promise<JSONWebKeySet> {
    const res = await request(url, {
      dispatcher: this.options.dispatcher,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`JWKS fetch from ${url} answered ${res.statusCode}`);
    }
    const parsed = await readResponseJson(res.body, MAX_JWKS_BYTES, `the JWKS from ${url}`);
    if (!isJwks(parsed)) throw new Error(`${url} did not return a JWKS document`);
    return parsed;
  }
}
