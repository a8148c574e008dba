/**
 * @module Synchronous point reads of the registry tables for another owner's LMDB transaction
 * (pruning checks that a repository or tag exists in the transaction that writes its records),
 * as `countRepositoriesInNamespace` in registry.ts does for accounts. Reads only.
 */
import { key, type Database, type RootDatabase } from '../../../src/store/lmdb.js';
import type { RepositoryRecord } from '../registry.js';
import type { TagRecord } from './registry-tables.js';

interface Lookups {
  repositories: Database<RepositoryRecord, string>;
  tags: Database<TagRecord, string>;
}

const lookupsByRoot = new WeakMap<RootDatabase, Lookups>();

function lookups(root: RootDatabase): Lookups {
  let found = lookupsByRoot.get(root);
  if (!found) {
    found = {
      repositories: root.openDB<RepositoryRecord, string>({ name: 'repositories', encoding: 'msgpack' }),
      tags: root.openDB<TagRecord, string>({ name: 'tags', encoding: 'msgpack' }),
    };
    lookupsByRoot.set(root, found);
  }
  return found;
}

export function lmdbRepositoryExists(root: RootDatabase, name: string): boolean {
  return lookups(root).repositories.doesExist(name);
}

export function lmdbTagExists(root: RootDatabase, repo: string, tag: string): boolean {
  return lookups(root).tags.doesExist(key(repo, tag));
}
