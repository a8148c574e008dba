/**
 * @module Opening LMDB environments and composite keys for ordered range scans.
 *
 * Keys are strings made of parts joined by SEP (\u0005). Names, tags and digests never contain
 * control characters, so `prefixRange([repo])` is exactly "every key of this repository", in order.
 *
 * Why not NUL: lmdb's key encoding (ordered-binary) escapes characters below \u0005 in strings
 * shorter than 64 characters but writes longer strings raw, and reads a raw NUL back as an
 * array separator. A NUL-joined key with a digest in it came back as an array, and short and
 * long keys of one repository sorted apart, so range scans missed some of them.
 */
import { statfsSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { privateLmdbDir } from './private-files.js';

export type { Database, RootDatabase };

const SEP = '\u0005';
// The character right after SEP: the exclusive end of a prefix range.
const SEP_NEXT = '\u0006';

export function key(...parts: string[]): string {
  return parts.join(SEP);
}

export function splitKey(value: string): string[] {
  return value.split(SEP);
}

/** The `getRange` bounds for every key that starts with `parts`, after `after` when given. */
export function prefixRange(parts: string[], after?: string): { start: string; end: string } {
  const prefix = parts.length ? key(...parts) + SEP : '';
  // Start just past `after`: no part has a character below SEP, so no key lies between
  // prefix+after and prefix+after+SEP.
  return {
    start: after !== undefined ? prefix + after + SEP : prefix,
    end: prefix ? prefix.slice(0, -1) + SEP_NEXT : '\uffff',
  };
}

export interface OpenLmdbOptions {
  path: string;
  /** Upper bound of the memory map; LMDB grows the file up to it. */
  mapSizeBytes?: number;
}

/**
 * Runs `fn` in one write transaction that is all or nothing: when `fn` throws, every write it
 * made is rolled back and the promise rejects with its error.
 *
 * Why not `root.transaction()`: lmdb-js runs that callback inside its batched write transaction
 * and, on a throw, commits whatever the callback wrote before throwing (a refused immutable-tag
 * push kept its manifest that way). `childTransaction` runs the callback in an abortable child
 * of the batch, so a throw aborts just this callback's writes. Child transactions need the
 * defaults `openLmdb` keeps: no `cache`, no `useWritemap`.
 */
export function writeAtomically<T>(root: RootDatabase, fn: () => T): Promise<T> {
  return root.childTransaction(fn);
}

/**
 * Opens an environment whose sub-databases hold structured values (msgpack). Every write of the
 * root and of the sub-databases opened from it is guarded (see `guardWrites`): a failed commit
 * rejects the caller's promise with an error whose `code` says `ENOSPC` (the disk is full) or
 * `EIO`, and never leaves a rejection nobody handles.
 */
export function openLmdb({ path, mapSizeBytes = 8 * 2 ** 30 }: OpenLmdbOptions): RootDatabase {
  // lmdb-js allows 12 named sub-databases by default; main's registry and accounts use more.
  // No event-turn batching: its batch-start write returns a promise lmdb-js itself drops, and
  // a failed commit rejected it unhandled. Atomicity never relied on it (every write that must
  // go with another is in one explicit transaction); writes are still batched by lmdb-js.
  // No overlapping sync: a write's promise resolves once the commit is on disk (as blob files
  // are fsynced before they are acknowledged), and a failed commit no longer leaves a flush
  // promise that never settles, on which `close()` waited forever. Measured on this project's
  // CI disk: an awaited transaction alone takes ~6 ms instead of ~2 ms; concurrent writes are
  // batched and their throughput did not change.
  const dir = privateLmdbDir(path);
  const root = open({
    path,
    mapSize: mapSizeBytes,
    maxDbs: 64,
    compression: false,
    encoding: 'msgpack',
    eventTurnBatching: false,
    overlappingSync: false,
  });
  dir.tightenFiles();
  const onFailure = (err: unknown) => classifyCommitFailure(err, path);
  const openDB = root.openDB.bind(root) as (...args: unknown[]) => object;
  const guardedOpenDB = (...args: unknown[]) => guardWrites(openDB(...args), onFailure);
  Object.defineProperty(root, 'openDB', { configurable: true, writable: true, value: guardedOpenDB });
  return guardWrites(root, onFailure);
}

// The asynchronous writes of lmdb-js: each returns a promise settled when its batch commits.
const WRITE_METHODS = [
  'put',
  'remove',
  'ifNoExists',
  'ifVersion',
  'transaction',
  'childTransaction',
  'clearAsync',
  'drop',
];

/**
 * Attaches a failure handler to the promise of every asynchronous write of `store`, and returns
 * the very promise the write returned (lmdb-js compares some of them by identity).
 *
 * Why: when a batch fails to commit (disk full, I/O error), lmdb-js rejects the promise of every
 * write in it, including writes nobody awaits, and also an internal promise reachable only as
 * `error.commitError`. Unhandled, each of them ended the process (an unhandled rejection). The
 * caller that awaits still gets the rejection; the handler only marks it handled and classifies it.
 */
function guardWrites<S extends object>(store: S, onFailure: (err: unknown) => void): S {
  for (const name of WRITE_METHODS) {
    const original = (store as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    const guarded = function (this: unknown, ...args: unknown[]): unknown {
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) result.then(undefined, onFailure);
      return result;
    };
    Object.defineProperty(store, name, { configurable: true, writable: true, value: guarded });
  }
  return store;
}

// Below this much free space a failed commit counts as "storage full" (LMDB reports EIO either way).
const FULL_BELOW_BYTES = 64 * 2 ** 20;

/**
 * Handles the internal `commitError` promise of a failed lmdb-js commit and gives the error the
 * errno-style `code` the HTTP layer maps (src/http/error-handler.ts): `ENOSPC` when the file
 * system holding the database is (nearly) full, `EIO` otherwise. Runs before the caller's own
 * handler, since it is attached when the write is made.
 */
function classifyCommitFailure(err: unknown, path: string): void {
  if (typeof err !== 'object' || err === null || !('commitError' in err)) return;
  const commitError = (err as { commitError?: unknown }).commitError;
  if (commitError instanceof Promise) commitError.catch(() => {});
  if ((err as { code?: unknown }).code !== undefined) return;
  let full = false;
  try {
    const fs = statfsSync(path);
    full = fs.bavail * fs.bsize < FULL_BELOW_BYTES;
  } catch {
    // No answer from the file system: report an I/O failure.
  }
  Object.defineProperty(err, 'code', { value: full ? 'ENOSPC' : 'EIO', enumerable: true, configurable: true });
}
