/**
 * @module The bounded background scan queue. The queue is the stored records (main/metadata/scans.ts,
 * state `queued`), so it outlives the process: this module only claims them, at most `concurrency`
 * at a time, runs each (run-scan.ts) and stores the outcome. It never runs inside a request: a push
 * or a pull only ever adds a record (`enqueue`), so a scan never blocks them.
 *
 * - Start: scans left `scanning` by a crash go back to the queue. On the embedded backend this
 *   process was the only worker, so all of them; on PostgreSQL those whose worker has not been
 *   heard of for `abandonAfterMs` (every worker touches its running scans every `pollIntervalMs`),
 *   which also takes over the scans of a replica that died.
 * - Each `pollIntervalMs` it claims what other processes queued (the CLI, other replicas).
 * - At start and every `vulndbPollIntervalMs` it reads the vulnerability database's generation (an
 *   import may come from another process); when it changed, every stored result matched against
 *   another generation is queued again (reason `vulndb`), page by page, and rematched from its
 *   stored inventory. `onRematchQueued` then lets main start a `scan` job that follows them (scan-job.ts).
 * - Stop: no new claims; running scans are aborted and stay claimed, to be queued again at the next start.
 */
import type { Logger } from '../../src/log/logger.js';
import type { ScanRequest, ScanStore } from '../metadata/scans.js';
import type { VulnerabilityDatabase } from '../vulndb/types.js';
import { runScan, type RunScanDeps } from './run-scan.js';

export interface ScanQueueOptions extends Omit<RunScanDeps, 'onUnexpected'> {
  store: ScanStore;
  vulndb: VulnerabilityDatabase;
  /** This process's id (the replica id): whose claims are whose. */
  worker: string;
  /** Scans run at once by this process; 0: none (it only queues them, for other replicas). */
  concurrency: number;
  /** Embedded backend: this process is the only worker, so every `scanning` record at start is its own. */
  singleProcess: boolean;
  logger: Logger;
  pollIntervalMs?: number;
  vulndbPollIntervalMs?: number;
  abandonAfterMs?: number;
  /**
   * Told after a new database generation queued rematches (main starts a `scan` job that follows
   * them, so the rescan shows on /admin/jobs: scan-job.ts). Not awaited; failures are logged.
   */
  onRematchQueued?: (rematch: { generation: string | null; queued: number; since: number }) => Promise<unknown>;
}

export interface ScanQueue {
  /** Requeues what a crash left, reads the database generation, and begins claiming. */
  start(): Promise<void>;
  /** Stores a scan request (see ScanStore.enqueue) and wakes the workers. */
  enqueue(request: ScanRequest): Promise<'queued' | 'pending'>;
  /** Checks the database generation now (the periodic check calls this). */
  checkGeneration(): Promise<void>;
  /** Resolves once nothing is running and nothing is left to claim (tests, the bench). */
  drained(): Promise<void>;
  readonly concurrency: number;
  stop(): Promise<void>;
}

const REMATCH_PAGE = 200;

export function createScanQueue(options: ScanQueueOptions): ScanQueue {
  const { store, worker, logger, now } = options;
  const concurrency = Math.max(0, Math.floor(options.concurrency));
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const vulndbPollIntervalMs = options.vulndbPollIntervalMs ?? 30_000;
  const abandonAfterMs = options.abandonAfterMs ?? 6 * pollIntervalMs;
  const running = new Map<string, Promise<void>>();
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let claiming: Promise<void> | undefined;
  let again = false;
  let generation: string | null | undefined;
  let idleWaiters: (() => void)[] = [];
  let started = false;

  const deps: RunScanDeps = {
    ...options,
    onUnexpected: (error) => logger.error('scan failed unexpectedly', { error }),
  };

  const notifyIdle = () => {
    if (running.size > 0 || claiming !== undefined) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /** Claims while there is room and work; one claiming loop at a time, re-run when woken meanwhile. */
  function fill(): void {
    if (!started || abort.signal.aborted) return;
    if (claiming !== undefined) {
      again = true;
      return;
    }
    claiming = (async () => {
      do {
        again = false;
        while (running.size < concurrency && !abort.signal.aborted) {
          const claimed = await store.claim(worker, now());
          if (claimed === undefined) break;
          const digest = claimed.scan.manifestDigest;
          const work = (async () => {
            try {
              const outcome = await runScan(claimed, deps, abort.signal);
              if (abort.signal.aborted) return;
              const stored = await store.complete(digest, worker, outcome, now());
              const fields = { digest, reason: claimed.scan.reason, stored };
              if (outcome.state === 'failed') logger.warn('scan failed', { ...fields, error: outcome.error });
              else logger.info('scan done', { ...fields, packages: outcome.result.inventory.packages.length });
            } catch (error) {
              if (!abort.signal.aborted) logger.error('scan could not be stored', { digest, error });
            } finally {
              running.delete(digest);
              fill();
              notifyIdle();
            }
          })();
          running.set(digest, work);
        }
      } while (again && !abort.signal.aborted);
    })()
      .catch((error) => logger.warn('could not claim a scan; trying again at the next poll', { error }))
      .finally(() => {
        claiming = undefined;
        notifyIdle();
      });
  }

  async function poll(): Promise<void> {
    try {
      if (running.size > 0) await store.touch(worker, [...running.keys()], now());
      if (!options.singleProcess) await store.requeueAbandoned(now() - abandonAfterMs);
    } catch (error) {
      logger.warn('scan queue upkeep failed', { error });
    }
    fill();
  }

  async function checkGeneration(): Promise<void> {
    const current = (await options.vulndb.status()).generation;
    if (current === generation) return;
    let queued = 0;
    let after: string | undefined;
    const since = now();
    do {
      const page = await store.queueRematch(current, now(), {
        ...(after !== undefined && { after }),
        limit: REMATCH_PAGE,
      });
      queued += page.queued;
      after = page.last;
    } while (after !== undefined && !abort.signal.aborted);
    generation = current;
    if (queued > 0) {
      logger.info('queued scans for a new vulnerability database', { generation: current, queued });
      options
        .onRematchQueued?.({ generation: current, queued, since })
        .catch((error) => logger.warn('could not start the job following a rescan', { error }));
    }
    fill();
  }

  return {
    concurrency,
    async start() {
      if (concurrency === 0) return;
      const requeued = await store.requeueAbandoned(
        options.singleProcess ? Number.POSITIVE_INFINITY : now() - abandonAfterMs,
      );
      if (requeued > 0) logger.info('scans interrupted by a stop were queued again', { requeued });
      started = true;
      await checkGeneration().catch((error) => logger.warn('could not read the vulnerability database', { error }));
      fill();
      timers.push(
        setInterval(() => void poll(), pollIntervalMs).unref(),
        setInterval(
          () =>
            void checkGeneration().catch((error) =>
              logger.warn('could not read the vulnerability database', { error }),
            ),
          vulndbPollIntervalMs,
        ).unref(),
      );
    },
    async enqueue(request) {
      const outcome = await store.enqueue(request);
      fill();
      return outcome;
    },
    checkGeneration,
    drained() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyIdle();
      });
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      abort.abort(new Error('main is stopping'));
      await claiming;
      await Promise.allSettled([...running.values()]);
      notifyIdle();
    },
  };
}
