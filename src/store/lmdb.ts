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
import { open, type Database, type RootDatabase } from 'lmdb';

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
  return { start: after !== undefined ? prefix + after + SEP : prefix, end: prefix ? prefix.slice(0, -1) + SEP_NEXT : '\uffff' };
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

/** Opens an environment whose sub-databases hold structured values (msgpack). */
export function openLmdb({ path, mapSizeBytes = 8 * 2 ** 30 }: OpenLmdbOptions): RootDatabase {
  // lmdb-js allows 12 named sub-databases by default; main's registry and accounts use more.
  return open({ path, mapSize: mapSizeBytes, maxDbs: 64, compression: false, encoding: 'msgpack' });
}
