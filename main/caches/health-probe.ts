/**
 * @module Main's view of each cache's health: probes `<host>/health` on an interval; a cache
 * is marked down after `failuresToDown` failures in a row and up again after `successesToUp`
 * successes. A cache never probed yet counts as up, so a new cache is used at once.
 *
 * With `shared` (replicas on one database), one replica probes for the cluster: each round, the
 * replica holding the probe's lease probes and records what it saw; the others read that record
 * instead of probing, so every edge gets one probe per interval whatever the number of replicas,
 * and every replica redirects on the same view. When the holder dies its lease expires and
 * another replica takes the probing over.
 */
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../../src/log/logger.js';
import type { ContentCache } from './content-caches.js';
import type { CacheHealthRecord, CacheStore } from '../metadata/caches.js';

export interface CacheHealth {
  up: boolean;
  checkedAt?: number;
  lastError?: string;
}

export interface HealthProbeOptions {
  /** The caches to probe, read at each round (from the store: a cache added is probed at the next one). */
  caches: () => ContentCache[] | Promise<ContentCache[]>;
  dispatcher: Dispatcher;
  logger: Logger;
  intervalMs: number;
  timeoutMs: number;
  failuresToDown?: number;
  successesToUp?: number;
  now?: () => number;
  /** Called when a cache changes state (metrics). */
  onChange?: (name: string, up: boolean) => void;
  /** One prober for the cluster: `lease()` says whether this replica probes this round. */
  shared?: { store: Pick<CacheStore, 'recordHealth' | 'listHealth'>; lease: () => Promise<boolean> };
}

interface State extends CacheHealth {
  failures: number;
  successes: number;
}

export class HealthProbe {
  private readonly states = new Map<string, State>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: HealthProbeOptions) {}

  isUp(name: string): boolean {
    return this.states.get(name)?.up ?? true;
  }

  health(name: string): CacheHealth {
    const state = this.states.get(name);
    if (!state) return { up: true };
    return {
      up: state.up,
      ...(state.checkedAt !== undefined && { checkedAt: state.checkedAt }),
      ...(state.lastError !== undefined && { lastError: state.lastError }),
    };
  }

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Probes every cache once (concurrent callers share the round). */
  probeAll(): Promise<void> {
    this.running ??= this.round().then(
      () => {
        this.running = undefined;
      },
      (err: unknown) => {
        // Only the list or the shared record can fail (a probe records its own failure): the next round retries.
        this.options.logger.warn('content cache health probe could not read or record its state', { error: err });
        this.running = undefined;
      },
    );
    return this.running;
  }

  private async round(): Promise<void> {
    const { shared } = this.options;
    if (shared && !(await shared.lease().catch(() => false))) return this.load(shared.store);
    const caches = await this.options.caches();
    await Promise.all(caches.map((c) => this.probe(c)));
    if (!shared) return;
    const seen = new Map<string, CacheHealthRecord>();
    for (const { name } of caches) {
      const state = this.states.get(name);
      if (state?.checkedAt === undefined) continue;
      seen.set(name, {
        up: state.up,
        checkedAt: state.checkedAt,
        ...(state.lastError !== undefined && { lastError: state.lastError }),
        failures: state.failures,
        successes: state.successes,
      });
    }
    await shared.store.recordHealth(seen);
  }

  /** Takes the prober's record as this replica's view (a cache it never recorded stays as it was). */
  private async load(store: Pick<CacheStore, 'listHealth'>): Promise<void> {
    for (const [name, record] of await store.listHealth()) {
      const wasUp = this.states.get(name)?.up ?? true;
      this.states.set(name, { ...record });
      if (wasUp !== record.up) this.options.onChange?.(name, record.up);
    }
  }

  private async probe(cache: ContentCache): Promise<void> {
    const now = this.options.now ?? Date.now;
    let error: string | undefined;
    try {
      const res = await request(`${cache.host}/health`, {
        dispatcher: this.options.dispatcher,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode !== 200) error = `health answered ${res.statusCode}`;
    } catch (err) {
      error = (err as Error).message || 'unreachable';
    }
    this.record(cache.name, error, now());
  }

  private record(name: string, error: string | undefined, at: number): void {
    const state = this.states.get(name) ?? { up: true, failures: 0, successes: 0 };
    if (error === undefined) {
      state.successes++;
      state.failures = 0;
      delete state.lastError;
    } else {
      state.failures++;
      state.successes = 0;
      state.lastError = error;
    }
    state.checkedAt = at;
    const wasUp = state.up;
    if (state.up && state.failures >= (this.options.failuresToDown ?? 3)) state.up = false;
    if (!state.up && state.successes >= (this.options.successesToUp ?? 2)) state.up = true;
    this.states.set(name, state);
    if (wasUp !== state.up) {
      this.options.logger.warn(state.up ? 'content cache is up again' : 'content cache is down', {
        cache: name,
        ...(error && { reason: error }),
      });
      this.options.onChange?.(name, state.up);
    }
  }
}
