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
 * account must not reset its spraying count). Each delay and refusal is logged with the name
 * and address (never the password). State is in memory: a restart forgives, which is
 * acceptable for a guard against online guessing.
 */
import { LRUCache } from 'lru-cache';
import { OciError } from '../../src/oci/errors.js';
import type { Logger } from '../../src/log/logger.js';

export interface LoginThrottleOptions {
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
}

interface Counter {
  failures: number;
  since: number;
}

export interface LoginThrottle {
  /** Throws `TOOMANYREQUESTS` when the pair is locked; otherwise waits the current penalty. */
  before(account: string, address: string): Promise<void>;
  failed(account: string, address: string): void;
  succeeded(account: string, address: string): void;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const { now = Date.now, windowMs = 15 * 60_000, slowAfter = 3, lockAfter = 10, maxDelayMs = 4000, logger } = options;
  const { slowAfterPerAddress = 20, slowAfterPerAccount = 10 } = options;
  const counters = new LRUCache<string, Counter>({ max: 100_000 });

  const current = (id: string): Counter | undefined => {
    const counter = counters.get(id);
    if (counter && now() - counter.since > windowMs) {
      counters.delete(id);
      return undefined;
    }
    return counter;
  };
  const bump = (id: string) => {
    const counter = current(id) ?? { failures: 0, since: now() };
    counter.failures++;
    counters.set(id, counter);
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

  return {
    async before(account, address) {
      const byPair = current(pairKey(account, address));
      const fields = { user: name(account), address };
      if (byPair && byPair.failures >= lockAfter) {
        const retryAfter = Math.max(1, Math.ceil((byPair.since + windowMs - now()) / 1000));
        logger?.info('sign-in refused: too many failures from this address for this account', {
          ...fields,
          failures: byPair.failures,
          retryAfterSeconds: retryAfter,
        });
        throw new OciError('TOOMANYREQUESTS', {
          message: 'too many failed sign-in attempts; try again later',
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const delayMs = Math.max(
        penalty(byPair?.failures ?? 0, slowAfter),
        penalty(current(addressKey(address))?.failures ?? 0, slowAfterPerAddress),
        penalty(current(accountKey(account))?.failures ?? 0, slowAfterPerAccount),
      );
      if (delayMs > 0) {
        logger?.info('sign-in delayed after failed attempts', { ...fields, delayMs });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    },
    failed(account, address) {
      bump(pairKey(account, address));
      bump(accountKey(account));
      bump(addressKey(address));
    },
    succeeded(account, address) {
      counters.delete(pairKey(account, address));
      counters.delete(accountKey(account));
    },
  };
}
