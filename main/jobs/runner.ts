/**
 * @module The job runner: runs the jobs of the store (main/metadata/jobs.ts) whose kinds it
 * knows, at most `concurrency` at a time on this replica. Claims are atomic in the store, so
 * replicas sharing one database each run a job once between them.
 *
 * While a job runs, its progress and log lines are kept here and written at most once per
 * `flushMs` (with the lease renewal), never once per call: a loop may report every item. The
 * lease is renewed at least every `leaseMs / 3`; a replica that dies leaves its jobs to expire
 * and be retried once by whichever runner claims next (main/metadata/jobs.ts).
 *
 * Cancellation and shutdown abort the job's `AbortSignal`; a job cancelled that way ends
 * `cancelled`, one interrupted by shutdown is given back (waiting again, its attempt not
 * counted). Only a crash, which gives nothing back, uses up the one retry. The runner must not
 * know HTTP or the kinds' internals.
 */
import type { Logger } from '../../src/log/logger.js';
import { MAX_LOG_LINES, type JobProgress, type JobRecord, type JobStore } from '../metadata/jobs.js';
import { JobCancelledError, JobInterruptedError } from './errors.js';
import type { JobContext, JobKind } from './types.js';

export interface JobRunnerOptions {
  store: JobStore;
  kinds: readonly JobKind[];
  /** This replica's id: the holder of the jobs it runs. */
  holder: string;
  /** Jobs run at once on this replica (config `jobs.concurrency`, default 2). */
  concurrency: number;
  /** How long a claimed job stays this replica's without renewal (default 30 s). */
  leaseMs?: number;
  /** Progress and log lines are written this often at most (default 1 s). */
  flushMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface JobRunner {
  readonly kinds: ReadonlyMap<string, JobKind>;
  /** Claims and starts what it can now (after a job is created, and on main's poll timer). */
  poke(): void;
  /** Aborts a job running here; false when it does not run here. */
  abortLocal(id: string): boolean;
  /** Resolves once nothing runs here and nothing claimable is left (tests, `outpost main jobs`). */
  drain(): Promise<void>;
  /** Aborts what runs, waits for it to settle, claims nothing more. */
  stop(): Promise<void>;
}

const MAX_ERROR_CHARS = 1000;

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, holder, concurrency, logger } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const flushMs = options.flushMs ?? 1000;
  const kinds = new Map(options.kinds.map((kind) => [kind.kind, kind]));
  const kindNames = [...kinds.keys()];
  const running = new Map<string, Running>();
  let stopped = false;
  let filling: Promise<void> | undefined;
  let fillAgain = false;

  async function fill(): Promise<void> {
    while (!stopped && running.size < concurrency) {
      const job = await store.claim(holder, kindNames, leaseMs, now());
      if (!job) return;
      const controller = new AbortController();
      const entry: Running = { controller, done: Promise.resolve() };
      running.set(job.id, entry);
      entry.done = run(job, controller).finally(() => {
        running.delete(job.id);
        poke();
      });
    }
  }

  function poke(): void {
    if (stopped) return;
    if (filling) {
      fillAgain = true;
      return;
    }
    filling = fill()
      .catch((err) => logger.warn('could not claim jobs', { error: err }))
      .finally(() => {
        filling = undefined;
        if (fillAgain) {
          fillAgain = false;
          poke();
        }
      });
  }

  async function run(job: JobRecord, controller: AbortController): Promise<void> {
    const kind = kinds.get(job.kind)!;
    let progress: JobProgress | undefined;
    let lines: string[] = [];
    let lastBeat = now();
    let lost = false;
    let flushing: Promise<void> = Promise.resolve();
    const flush = (force: boolean) => {
      flushing = flushing.then(async () => {
        if (lost || (!force && !progress && lines.length === 0 && now() - lastBeat < leaseMs / 3)) return;
        const update = { ...(progress && { progress }), lines };
        progress = undefined;
        lines = [];
        lastBeat = now();
        try {
          const answer = await store.heartbeat(job.id, holder, leaseMs, update);
          if (answer === 'cancel-requested') controller.abort(new JobCancelledError());
          if (answer === 'lost') {
            lost = true;
            controller.abort(new JobInterruptedError('another replica took the job over'));
          }
        } catch (err) {
          logger.warn('could not record job progress', { job: job.id, error: err });
        }
      });
      return flushing;
    };
    const timer = setInterval(() => void flush(false), flushMs);
    timer.unref();
    const context: JobContext = {
      id: job.id,
      params: job.params,
      signal: controller.signal,
      progress(done, total, message) {
        progress = {
          done,
          ...(total !== undefined && { total }),
          ...(message !== undefined && { message: message.slice(0, 200) }),
        };
      },
      log(line) {
        lines.push(line);
        // More than the store keeps between two flushes: the oldest would be trimmed anyway.
        if (lines.length > MAX_LOG_LINES) lines = lines.slice(-MAX_LOG_LINES);
      },
    };
    logger.info('job started', { job: job.id, kind: job.kind, attempt: job.attempt });
    if (job.attempt > 1) context.log(`attempt ${job.attempt}: the previous run was interrupted`);
    let outcome: Parameters<JobStore['finish']>[2];
    try {
      outcome = { state: 'done', summary: await kind.run(context) };
    } catch (err) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof JobCancelledError) outcome = { state: 'cancelled' };
      else {
        const message = err instanceof Error ? err.message : String(err);
        outcome = { state: 'failed', error: message.slice(0, MAX_ERROR_CHARS) };
        if (!controller.signal.aborted) context.log(`failed: ${outcome.error}`);
      }
    } finally {
      clearInterval(timer);
    }
    await flush(true);
    // Taken over: the job is no longer ours. Stopping: it waits again for the next runner.
    if (lost) {
      logger.warn('job taken over by another replica', { job: job.id, kind: job.kind });
      return;
    }
    if (controller.signal.aborted && controller.signal.reason instanceof JobInterruptedError) {
      await store
        .release(job.id, holder, now())
        .catch((err) => logger.warn('could not give a job back; its lease will expire', { job: job.id, error: err }));
      logger.info('job interrupted by shutdown: it runs again at the next start', { job: job.id, kind: job.kind });
      return;
    }
    try {
      await store.finish(job.id, holder, outcome, now());
      logger.info('job ended', { job: job.id, kind: job.kind, state: outcome.state });
    } catch (err) {
      logger.error('could not record the end of a job', { job: job.id, error: err });
    }
  }

  return {
    kinds,
    poke,
    abortLocal(id) {
      const entry = running.get(id);
      if (!entry) return false;
      entry.controller.abort(new JobCancelledError());
      return true;
    },
    async drain() {
      for (;;) {
        poke();
        await filling;
        if (running.size === 0) {
          // A job that ended while claiming may have poked a fill that found more work.
          await filling;
          if (running.size === 0) return;
        }
        await Promise.race([...running.values()].map((entry) => entry.done));
      }
    },
    async stop() {
      stopped = true;
      await filling;
      for (const entry of running.values()) entry.controller.abort(new JobInterruptedError('main is stopping'));
      await Promise.all([...running.values()].map((entry) => entry.done));
    },
  };
}
