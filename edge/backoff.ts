/**
 * @module Pauses between attempts to reach main while it is down (signing keys, registration):
 * exponential, capped, and jittered so that a fleet of edges restarted together does not ask a
 * recovering main in lockstep ("full jitter" would allow zero pauses; half of the step is kept).
 * Pure: the caller sleeps.
 */

export interface Backoff {
  /** The first pause. */
  baseMs: number;
  /** No pause is longer than this. */
  capMs: number;
}

/**
 * The pause after failed attempt number `attempt` (1 for the first failure): between half and
 * all of `min(capMs, baseMs * 2^(attempt-1))`. `random` returns a number in [0, 1).
 */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const step = Math.min(backoff.capMs, backoff.baseMs * 2 ** exponent);
  return Math.round(step / 2 + (step / 2) * random());
}
