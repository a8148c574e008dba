/**
 * @module Read-only facts for the repository browser that the repositories service does not
 * offer: the namespaces a caller can see anything in, and a repository's tag count, last push
 * and size. Bounded work per call, whatever the registry's size.
 */
import type { RegistryMetadata } from '../metadata/registry.js';

// Namespaces read per listing, and repositories checked per namespace, before giving up.
const MAX_NAMESPACES_READ = 5000;
const NAMESPACE_BATCH = 100;
const MAX_CHECKS_PER_NAMESPACE = 50;
// Tags read to find the last push; beyond this the answer covers the first ones only.
const MAX_TAGS_READ = 1000;
// Blob links added up for a repository's size; beyond this the size is shown as "at least".
const MAX_LINKS_READ = 10_000;

export interface NamespaceList {
  names: string[];
  /** More namespaces exist than were listed. */
  truncated: boolean;
}

/** Namespaces holding at least one repository `mayPull` allows, in order. */
export async function visibleNamespaces(
  metadata: RegistryMetadata,
  mayPull: (name: string) => Promise<boolean>,
  limit = 100,
): Promise<NamespaceList> {
  const names: string[] = [];
  let after: string | undefined;
  for (let read = 0; read < MAX_NAMESPACES_READ; ) {
    const batch = await metadata.listNamespaces({ limit: NAMESPACE_BATCH, ...(after !== undefined && { after }) });
    for (const namespace of batch) {
      const inside = await metadata.listRepositories({ namespace, limit: MAX_CHECKS_PER_NAMESPACE });
      if (!(await someAsync(inside, ({ name }) => mayPull(name)))) continue;
      if (names.length === limit) return { names, truncated: true };
      names.push(namespace);
    }
    if (batch.length < NAMESPACE_BATCH) return { names, truncated: false };
    read += batch.length;
    after = batch[batch.length - 1];
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
  /** The distinct blobs the repository holds; `sizeComplete` false when only the first ones were added up. */
  sizeBytes: number;
  sizeComplete: boolean;
}

export async function repositoryStats(metadata: RegistryMetadata, name: string): Promise<RepositoryStats> {
  const [{ count, lastUpdatedAt }, size] = await Promise.all([
    metadata.tagSummary(name, MAX_TAGS_READ),
    metadata.repositoryBytes(name, MAX_LINKS_READ),
  ]);
  return {
    tagCount: count,
    ...(lastUpdatedAt !== undefined && { lastPushedAt: lastUpdatedAt }),
    sizeBytes: size.bytes,
    sizeComplete: size.complete,
  };
}
