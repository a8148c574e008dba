/**
 * @module What a failed LMDB commit (disk full, I/O error) looks like from lmdb-js.
 *
 * lmdb-js rejects the caller's write with `Error('Commit failed (see commitError for details)')`
 * and the real error (ENOSPC, EIO) in a separate promise, `error.commitError`, which is itself
 * an unhandled rejection (ending the process) unless someone attaches to it: the caller must
 * (kriszyp/lmdb-js#368). `openLmdb` attaches to it for every write and turns event-turn batching
 * off, whose batch promise no caller could reach; this module gives callers the real error.
 */
import { constants } from 'node:os';

/** A write rejected because its LMDB commit failed. */
export function isLmdbCommitFailure(err: unknown): err is Error & { commitError: Promise<unknown> } {
  return err instanceof Error && typeof (err as { commitError?: { then?: unknown } }).commitError?.then === 'function';
}

// How long the underlying error of a failed commit is waited for (it follows within a tick).
const UNWRAP_WAIT_MS = 1_000;

/** The underlying error of a failed commit (ENOSPC, EIO, ...), or `err` itself; handles `commitError`. */
export async function unwrapLmdbCommitError(err: unknown): Promise<unknown> {
  if (!isLmdbCommitFailure(err)) return err;
  let timer: NodeJS.Timeout | undefined;
  const cause = await Promise.race([
    err.commitError.then(
      () => err,
      (real: unknown) => real,
    ),
    new Promise<unknown>((resolve) => (timer = setTimeout(() => resolve(err), UNWRAP_WAIT_MS))),
  ]);
  clearTimeout(timer);
  return cause;
}

/** An error's code as a name: lmdb-js reports errno values as numbers (28), Node as names (ENOSPC). */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (typeof code !== 'number') return undefined;
  return Object.entries(constants.errno).find(([, value]) => value === code)?.[0] ?? String(code);
}
