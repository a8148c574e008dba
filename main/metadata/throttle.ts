/**
 * @module The login-throttle family: failure counters per key (an address and name pair, an
 * address, a name; main/auth/login-throttle.ts builds the keys), each with its own expiry.
 * On several replicas the counters must be shared, so that a lockout holds whichever replica
 * the guesser's requests reach.
 */

export interface ThrottleCount {
  /** Failures counted since the counter started. */
  count: number;
  /** When the counter lapses (its start plus the window it was started with). */
  expiresAt: number;
}

/**
 * Failure counters. A counter lapsed at `now` (expiresAt <= now) counts as absent. Methods
 * reject with the backend's failure (PostgreSQL: UNAVAILABLE) and then changed nothing.
 */
export interface ThrottleStore {
  /**
   * Adds one to the counter of each key, atomically per key (increments from any number of
   * connections at once are all counted); an absent or lapsed counter starts again at one,
   * expiring at `now + windowMs`.
   */
  increment(keys: readonly string[], now: number, windowMs: number): Promise<void>;
  /** The live counters of `keys`, in their order (undefined: absent or lapsed). */
  get(keys: readonly string[], now: number): Promise<(ThrottleCount | undefined)[]>;
  /** Removes the counters of `keys`. */
  reset(keys: readonly string[]): Promise<void>;
}
