/**
 * @module Periodic work that must run on one replica at a time (cache health probes, purges,
 * GC, key rotation): the replica holding the work's lease runs it every `intervalMs`.
 *
 * The holder renews its lease every `leaseMs / 3`, also while the work runs, so a long run
 * does not lose it. When the holder dies its lease expires, and another replica takes the work
 * over within `leaseMs + leaseMs / 3`. A replica that cannot reach the coordinator stops
 * doing the work until it can: two holders at once is worse than a late run.
 */
import type { Logger } from '../../src/log/logger.js';
import type { ClusterCoordinator } from '../metadata/cluster.js';

export interface SingletonWorkOptions {
  /** The lease's name: one per kind of work. */
  name: string;
  /** This replica's id. */
  holder: string;
  coordinator: ClusterCoordinator;
  intervalMs: number;
  /** How long a lease lasts without renewal (default 15 s). */
  leaseMs?: number;
  run: () => Promise<void>;
  logger: Logger;
  now?: () => number;
}

export interface SingletonWork {
  /** Whether this replica held the lease at its last check. */
  readonly holding: boolean;
  /** Stops checking, waits for a run in progress, and gives the lease up. */
  stop(): Promise<void>;
}

export function startSingletonWork(options: SingletonWorkOptions): SingletonWork {
  const { name, holder, coordinator, intervalMs, run, logger } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 15_000;
  let holding = false;
  let stopped = false;
  let lastRunAt: number | undefined;
  let running: Promise<void> | undefined;

  const check = async () => {
    try {
      const held = await coordinator.acquireLease(name, holder, leaseMs);
      if (held !== holding) logger.info(held ? 'took over periodic work' : 'periodic work moved away', { work: name });
      holding = held;
    } catch (err) {
      if (holding) logger.warn('lost contact with the coordinator: pausing periodic work', { work: name, error: err });
      holding = false;
    }
    if (!holding || stopped || running) return;
    if (lastRunAt !== undefined && now() - lastRunAt < intervalMs) return;
    lastRunAt = now();
    running = run()
      .catch((err) => logger.error('periodic work failed', { work: name, error: err }))
      .finally(() => {
        running = undefined;
      });
  };

  let checking: Promise<void> | undefined;
  const tick = () => {
    checking ??= check().finally(() => {
      checking = undefined;
    });
  };
  const timer = setInterval(tick, Math.max(10, Math.floor(leaseMs / 3)));
  timer.unref();
  tick();

  return {
    get holding() {
      return holding;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await checking;
      await running;
      if (holding) await coordinator.releaseLease(name, holder).catch(() => {});
      holding = false;
    },
  };
}
