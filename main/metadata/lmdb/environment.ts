/**
 * @module Main's one LMDB environment (`<data>/db`), shared by every metadata owner's LMDB
 * implementation so that owners that must change together (a push and its event, an account
 * and its repositories) can share a transaction inside this backend.
 */
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';

export type { RootDatabase };

export interface MainEnvironment {
  readonly root: RootDatabase;
  close(): Promise<void>;
}

export function openMainEnvironment(path: string): MainEnvironment {
  const root = openLmdb({ path });
  return { root, close: () => root.close() };
}
