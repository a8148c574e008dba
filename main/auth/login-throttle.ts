/**
 * @module Slows down, then refuses, repeated failed sign-ins for one account or one address.
 *
 * After `slowAfter` failures within the window each further attempt waits longer (doubling,
 * capped); after `lockAfter` failures the account or address is refused with 429 until the
 * window has passed. A success clears the account's count (not the address's). State is in
 * memory: a restart forgives, which is acceptable for a guard against online guessing.
 */
import { LRUCache } from 'lru-cache';
import { OciError } from '../../src/oci/errors.js';

export interface LoginThrottleOptions {
  now?: () => number;
  windowMs?: number;
  slowAfter?: number;
  lockAfter?: number;
  /** Addresses fail for many users behind one NAT: a higher bar. */
  lockAfterPerAddress?: number;
  maxDelayMs?: number;
}

interface Counter {
  failures: number;
  since: number;
}

export interface LoginThrottle {
  /** Throws `TOOMANYREQUESTS` when locked; otherwise waits the current penalty. */
  before(account: string, address: string): Promise<void>;
  failed(account: string, address: string): void;
  succeeded(account: string): void;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const { now = Date.now, windowMs = 15 * 60_000, slowAfter = 3, lockAfter = 10, lockAfterPerAddress = 50, maxDelayMs = 4000 } = options;
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

  // Account names are at most 64 characters; a longer one cannot exist, and keeping it whole
  // would let a client fill the counters with megabytes of made-up names.
  const accountKey = (account: string) => `a:${account.slice(0, 128)}`;

  return {
    async before(account, address) {
      const byAccount = current(accountKey(account));
      const byAddress = current(`i:${address}`);
      // Retry-After names when every lock that applies has passed (an older counter that is
      // not locking must not make the client come back too early).
      const locks = [byAccount && byAccount.failures >= lockAfter ? byAccount : undefined, byAddress && byAddress.failures >= lockAfterPerAddress ? byAddress : undefined];
      const lockedSince = Math.max(...locks.map((c) => c?.since ?? -Infinity));
      if (lockedSince > -Infinity) {
        const retryAfter = Math.max(1, Math.ceil((lockedSince + windowMs - now()) / 1000));
        throw new OciError('TOOMANYREQUESTS', {
          message: 'too many failed sign-in attempts; try again later',
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const failures = byAccount?.failures ?? 0;
      if (failures >= slowAfter) {
        const delay = Math.min(maxDelayMs, 250 * 2 ** (failures - slowAfter));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
    failed(account, address) {
      bump(accountKey(account));
      bump(`i:${address}`);
    },
    succeeded(account) {
      counters.delete(accountKey(account));
    },
  };
}
