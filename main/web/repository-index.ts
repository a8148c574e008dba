/**
 * @module Read-only facts for the repository browser that the repositories service does not
 * offer: the namespaces a caller can see anything in, and a repository's tag count and last
 * push. Bounded work per call, whatever the registry's size.
 */
import { prefixRange } from '../../src/store/lmdb.js';
import { namespaceOf } from '../accounts/access-control.js';
import type { MetadataDb } from '../registry/metadata-db.js';

// Keys visited per listing, and repositories checked per namespace, before giving up.
const MAX_KEYS_VISITED = 5000;
const MAX_CHECKS_PER_NAMESPACE = 50;
// Tags read to find the last push; beyond this the answer covers the first ones only.
const MAX_TAGS_READ = 1000;

export interface NamespaceList {
  names: string[];
  /** More namespaces exist than were listed. */
  truncated: boolean;
}

/**
 * Namespaces holding at least one repository `mayPull` allows, in name order. Skips from one
 * namespace to the next: '0' follows '/', so `<ns>0` is the first key after every `<ns>/...`.
 */
export async function visibleNamespaces(
  db: MetadataDb,
  mayPull: (name: string) => Promise<boolean>,
  limit = 100,
): Promise<NamespaceList> {
  const names: string[] = [];
  let start: string | undefined;
  for (let visited = 0; visited < MAX_KEYS_VISITED; visited++) {
    const [first] = [...db.repositories.getKeys({ ...(start !== undefined && { start }), limit: 1 })];
    if (first === undefined) return { names, truncated: false };
    const namespace = namespaceOf(first);
    if (namespace === undefined) {
      start = `${first}\u0000`;
      continue;
    }
    const inside = [
      ...db.repositories.getKeys({ start: `${namespace}/`, end: `${namespace}0`, limit: MAX_CHECKS_PER_NAMESPACE }),
    ];
    if (await someAsync(inside, mayPull)) {
      if (names.length === limit) return { names, truncated: true };
      names.push(namespace);
    }
    start = `${namespace}0`;
  }
  return { names, truncated: true };
}

async function someAsync<T>(items: T[], test: (item: T) => Promise<boolean>): Promise<boolean> {
  for (const item of items) if (await test(item)) return true;
  return false;
}

export interface RepositoryStats {
  tagCount: number;
  /** When a tag was last pushed or moved; undefined without tags. */
  lastPushedAt?: number;
}

export function repositoryStats(db: MetadataDb, name: string): RepositoryStats {
  const range = prefixRange([name]);
  let lastPushedAt: number | undefined;
  for (const { value } of db.tags.getRange({ ...range, limit: MAX_TAGS_READ })) {
    if (lastPushedAt === undefined || value.updatedAt > lastPushedAt) lastPushedAt = value.updatedAt;
  }
  return { tagCount: db.tags.getKeysCount(range), ...(lastPushedAt !== undefined && { lastPushedAt }) };
}
