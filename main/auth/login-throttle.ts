/**
 * @module Slows down, then refuses, repeated failed sign-ins, throttling the attacker rather
 * than the victim.
 *
 * Failures are counted three ways within a window (default 15 minutes):
 * - per (address, name) pair: after `slowAfter` failures each further attempt of that pair
 *   waits longer (doubling, capped at `maxDelayMs`); after `lockAfter` the pair is refused with
 *   429 until the window has passed. Only the guesser's address is locked out of that account:
 *   its owner signs in from anywhere else as before.
 * - per address, across names (password spraying from one place): attempts from it wait, from
 *   `slowAfterPerAddress` failures on. Never a lock, since a NAT or a TLS proxy puts many
 *   people behind one address (`http.trustedProxies` lets main see through a proxy).
 * - per name, across addresses (guessing one account from many places): its attempts wait,
 *   from `slowAfterPerAccount` failures on. Never a lock, which would hand anyone a way to keep
 *   the owner out.
 * A success clears the pair and the name's count (not the address's: an attacker's own
 * account must not reset its spraying count).
 *
 * Attempts still being checked count against the lock too: `before()` reserves one for its
 * pair, and the attempt it returns gives it back when it ends (failed, succeeded, or abandoned
 * on an error). Otherwise a burst of guesses sent at once would all pass `before()` before the
 * first failure is counted (500 parallel guesses made 451 password checks for a lock at 10).
 * An attempt counts those of its pair that arrived before it and are still in progress when it
 * reads the store; the read and the counting of an outcome (store, then freeing the place) take
 * turns per pair, so an attempt that ends meanwhile is seen once: as in progress or as counted.
 * (Read before the store, a slow store such as PostgreSQL saw it twice and locked early.)
 * The delays need no such care: parallel attempts wait in parallel, so only the lock bounds
 * them. Each delay and refusal is logged with the name and address (never the password).
 *
 * The failure counts live in a `ThrottleStore` (main/metadata/throttle.ts): in memory for the
 * embedded main, in PostgreSQL when replicas share it, so that a lockout holds on all of them.
 * Attempts in progress are counted per process only: on N replicas a burst can make up to N
 * times `lockAfter` checks before the first failures are counted, still a small bound.
 */
import { OciError } from '../../src/oci/errors.js';
import type { Logger } from '../../src/log/logger.js';
import type { ThrottleStore } from '../metadata/throttle.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface LoginThrottleOptions {
  /** Where failures are counted. */
  store: ThrottleStore;
  now?: () => number;
  windowMs?: number;
  /** Failures of one (address, name) pair before its attempts wait. Default 3. */
  slowAfter?: number;
  /** Failures of one (address, name) pair before it is refused for the window. Default 10. */
  lockAfter?: number;
  /** Failures from one address, any names, before its attempts wait. Default 20. */
  slowAfterPerAddress?: number;
  /** Failures for one name, any addresses, before its attempts wait. Default 10. */
  slowAfterPerAccount?: number;
  maxDelayMs?: number;
  /** Where throttle decisions are logged (info). */
  logger?: Logger;
  /** Where refusals and delays are recorded as `auth.throttled` events. */
  audit?: Pick<AuditLog, 'record'>;
}

/**
 * One sign-in attempt admitted by `before()`; the first of its calls ends it, later ones do
 * nothing. `failed` and `succeeded` resolve once the store has counted the outcome (await them
 * before answering, so that the next attempt sees it); they reject when the store fails.
 */
export interface LoginAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
  /** Ended without an answer (an error while checking): frees its place, counts nothing. */
  abandoned(): void;
}

export interface LoginThrottle {
  /**
   * Throws `TOOMANYREQUESTS` when the pair's failures and attempts in progress reach the lock;
   * otherwise reserves a place for this attempt, waits the current penalty and returns it.
   */
  before(account: string, address: string): Promise<LoginAttempt>;
  /** Counts a failure of the pair (what `LoginAttempt.failed` does, besides freeing its place). */
  failed(account: string, address: string): Promise<void>;
  succeeded(account: string, address: string): Promise<void>;
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { store, now = Date.now, windowMs = 15 * 60_000, slowAfter = 3, lockAfter = 10, maxDelayMs = 4000 } = options;
  const { slowAfterPerAddress = 20, slowAfterPerAccount = 10, logger, audit } = options;
  // Per pair while some of its attempts are between `before()` and their end: their arrival
  // numbers, and the turn that store reads and outcome counting take one at a time.
  const pairs = new Map<string, { next: number; inFlight: Set<number>; turn: Promise<unknown> }>();
  const inTurn = <T>(state: { turn: Promise<unknown> }, fn: () => Promise<T>): Promise<T> => {
    const result = state.turn.then(fn);
    state.turn = result.catch(() => {});
    return result;
  };
  /** The wait for `failures` against a threshold: 250 ms at it, doubling, capped. */
  const penalty = (failures: number, threshold: number) =>
    failures < threshold ? 0 : Math.min(maxDelayMs, 250 * 2 ** (failures - threshold));

  // Account names are at most 64 characters; a longer one cannot exist, and keeping it whole
  // would let a client fill the counters with megabytes of made-up names.
  const name = (account: string) => account.slice(0, 128);
  const pairKey = (account: string, address: string) => `p:${address}\0${name(account)}`;
  const accountKey = (account: string) => `a:${name(account)}`;
  const addressKey = (address: string) => `i:${address}`;

  const failed = (account: string, address: string) =>
    store.increment([pairKey(account, address), accountKey(account), addressKey(address)], now(), windowMs);
  const succeeded = (account: string, address: string) => store.reset([pairKey(account, address), accountKey(account)]);

  return {
    failed,
    succeeded,
    async before(account, address) {
      const pair = pairKey(account, address);
      // Reserved before the first await, so that attempts arriving together see each other:
      // each counts those that arrived before it (the first `lockAfter` of a burst pass, not none).
      let state = pairs.get(pair);
      if (!state) pairs.set(pair, (state = { next: 0, inFlight: new Set(), turn: Promise.resolve() }));
      const pairState = state;
      const seq = pairState.next++;
      pairState.inFlight.add(seq);
      const release = () => {
        pairState.inFlight.delete(seq);
        if (pairState.inFlight.size === 0 && pairs.get(pair) === pairState) pairs.delete(pair);
      };
      let counts: Awaited<ReturnType<ThrottleStore['get']>>;
      let pending: number;
      try {
        [counts, pending] = await inTurn(pairState, async () => {
          const read = await store.get([pair, addressKey(address), accountKey(account)], now());
          return [read, [...pairState.inFlight].filter((other) => other < seq).length] as const;
        });
      } catch (err) {
        release();
        throw err;
      }
      const [byPair, byAddress, byAccount] = counts;
      const fields = { user: name(account), address };
      if ((byPair?.count ?? 0) + pending >= lockAfter) {
        release();
        // Locked by attempts still in progress only: were they all to fail, a full window.
        const until = byPair?.expiresAt ?? now() + windowMs;
        const retryAfter = Math.max(1, Math.ceil((until - now()) / 1000));
        logger?.info('sign-in refused: too many failures from this address for this account', {
          ...fields,
          failures: byPair?.count ?? 0,
          ...(pending > 0 && { inProgress: pending }),
          retryAfterSeconds: retryAfter,
        });
        audit?.record({
          type: 'auth.throttled',
          actor: fields.user,
          target: fields.user,
          outcome: 'failure',
          detail: { address, decision: 'refused', retryAfterSeconds: retryAfter },
        });
        throw new OciError('TOOMANYREQUESTS', {
          message: 'too many failed sign-in attempts; try again later',
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      let ended = false;
      // The outcome is counted before the place is freed: an attempt arriving meanwhile sees
      // this one in progress or its failure, never neither.
      const end = async (outcome?: () => Promise<void>) => {
        if (ended) return;
        ended = true;
        if (!outcome) return release();
        await inTurn(pairState, async () => {
          try {
            await outcome();
          } finally {
            release();
          }
        });
      };
      const attempt: LoginAttempt = {
        failed: () => end(() => failed(account, address)),
        succeeded: () => end(() => succeeded(account, address)),
        abandoned: () => void end(),
      };
      const delayMs = Math.max(
        penalty(byPair?.count ?? 0, slowAfter),
        penalty(byAddress?.count ?? 0, slowAfterPerAddress),
        penalty(byAccount?.count ?? 0, slowAfterPerAccount),
      );
      if (delayMs > 0) {
        logger?.info('sign-in delayed after failed attempts', { ...fields, delayMs });
        audit?.record({
          type: 'auth.throttled',
          actor: fields.user,
          target: fields.user,
          outcome: 'failure',
          detail: { address, decision: 'delayed', delayMs },
        });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      return attempt;
    },
  };
}
