/**
 * @module jobs/types
 * The contract between the job runner (main/jobs/) and the kinds of background work it runs: garbage
 * collection, pruning, directory sync, scans, cache warming, purges. A kind is a plain object; the runner
 * persists each job, runs it with bounded concurrency, and records its progress, log and outcome.
 */

export type JobState = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobContext {
  readonly id: string;
  /** The parameters the job was started with, already checked by the kind's `parseParams`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Aborted when the job is cancelled or main is stopping; long loops check it between steps. */
  readonly signal: AbortSignal;
  /** Progress for the API and the jobs page; `total` may be unknown. Cheap to call often (batched). */
  progress(done: number, total?: number, message?: string): void;
  /** One line of the job's bounded log (no secrets: never a token, password or URL with credentials). */
  log(line: string): void;
}

export interface JobKind {
  /** e.g. "gc", "prune", "ldap-sync", "scan"; lower case, digits and dashes. */
  readonly kind: string;
  /** Whether an admin may start it through `POST /api/v0/jobs` (others are started by main itself). */
  readonly adminMayStart: boolean;
  /** Checks and normalises the parameters given to `POST /api/v0/jobs`; throws a domain error if invalid. */
  parseParams(input: unknown): Record<string, unknown>;
  /**
   * Optional: checks what `parseParams` cannot without reading (e.g. that a named cache exists); throws a
   * domain error if invalid, which `POST /api/v0/jobs` answers as bad input.
   */
  checkParams?(params: Record<string, unknown>): Promise<void>;
  /** Does the work; resolves with a short JSON-able summary kept with the job, rejects to fail it. */
  run(context: JobContext): Promise<Record<string, unknown>>;
}
