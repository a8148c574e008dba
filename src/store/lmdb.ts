/**
 * @module Opening LMDB environments and composite keys for ordered range scans.
 *
 * Keys are strings made of parts joined by NUL. Names, tags and digests never contain NUL or
 * \u0001, so `prefixRange([repo])` is exactly "every key of this repository", in order.
 */
import { open, type Database, type RootDatabase } from 'lmdb';

export type { Database, RootDatabase };

const SEP = '\u0000';

export function key(...parts: string[]): string {
  return parts.join(SEP);
}

export function splitKey(value: string): string[] {
  return value.split(SEP);
}

/** The `getRange` bounds for every key that starts with `parts`, after `after` when given. */
export function prefixRange(parts: string[], after?: string): { start: string; end: string } {
  const prefix = parts.length ? key(...parts) + SEP : '';
  // Start just past `after`: the smallest key greater than prefix+after is prefix+after+NUL.
  return { start: after !== undefined ? prefix + after + SEP : prefix, end: prefix ? prefix.slice(0, -1) + '\u0001' : '\uffff' };
}

export interface OpenLmdbOptions {
  path: string;
  /** Upper bound of the memory map; LMDB grows the file up to it. */
  mapSizeBytes?: number;
}

/** Opens an environment whose sub-databases hold structured values (msgpack). */
export function openLmdb({ path, mapSizeBytes = 8 * 2 ** 30 }: OpenLmdbOptions): RootDatabase {
  // lmdb-js allows 12 named sub-databases by default; main's registry and accounts use more.
  return open({ path, mapSize: mapSizeBytes, maxDbs: 64, compression: false, encoding: 'msgpack' });
}
