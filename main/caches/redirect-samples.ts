/**
 * @module This replica's redirects per node, kept as its own series of samples (main/metadata/caches.ts
 * `recordRedirectSample`): each replica counts the redirects it decides, in memory since it started,
 * and writes its count of each node once a minute. Heartbeats reach one replica only, so a count
 * written with them would be one replica's; series per replica make the sum exact with any number of
 * replicas (cache-usage-windows.ts). Knows nothing of HTTP or of a database.
 */
import type { Logger } from '../../src/log/logger.js';
import type { CacheStore } from '../metadata/caches.js';

/** How often a replica writes its counts. */
export const REDIRECT_SAMPLE_INTERVAL_MS = 60_000;
/**
 * A count that did not change is written again after this long, so that a series has a sample in
 * the hour before any day shown (the store keeps 25 hours): its first sample there counts from 0
 * outside the day, not inside it.
 */
export const REDIRECT_SAMPLE_REFRESH_MS = 30 * 60_000;

/** Redirects this replica sent to each node (by `nodeKey`) since it started. */
export class RedirectTally {
  private readonly counts = new Map<string, number>();

  note(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Each node with its count, for the nodes this replica redirected to. */
  entries(): [string, number][] {
    return [...this.counts];
  }
}

export interface RedirectSamplerDeps {
  store: Pick<CacheStore, 'recordRedirectSample'>;
  tally: RedirectTally;
  /** This replica's id: its series. */
  replica: string;
  now: () => number;
  logger: Pick<Logger, 'warn'>;
  intervalMs?: number;
}

export interface RedirectSampler {
  /** Writes the counts that changed (or are due again) now; a failed write is retried at the next. */
  flush(): Promise<void>;
  /** Stops the timer, then writes once more so that the last minute's redirects are kept. */
  stop(): Promise<void>;
}

export function startRedirectSampler(deps: RedirectSamplerDeps): RedirectSampler {
  /** What was written last of each node: the count, and when. */
  const written = new Map<string, { count: number; at: number }>();
  let running: Promise<void> | undefined;

  const write = async () => {
    const at = deps.now();
    for (const [key, count] of deps.tally.entries()) {
      const last = written.get(key);
      if (last && last.count === count && at - last.at < REDIRECT_SAMPLE_REFRESH_MS) continue;
      try {
        await deps.store.recordRedirectSample(key, { at, replica: deps.replica, redirects: count });
        written.set(key, { count, at });
      } catch (error) {
        // The counts are cumulative: the next write carries what this one did not.
        deps.logger.warn('could not record the redirects sent to a cache node', { node: key, error });
      }
    }
  };
  const flush = () => {
    running ??= write().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void flush(), deps.intervalMs ?? REDIRECT_SAMPLE_INTERVAL_MS);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
  };
}
