/**
 * @module The nodes of a cache group as the redirect path and the probe see them. A cache that
 * no edge joined with a node id (an admin registered its host, or it predates groups) is one
 * node, `default`, at the cache's host.
 */
import type { CacheNodeRecord, ContentCache } from '../metadata/caches.js';
import { nodeKey } from '../metadata/caches.js';

export { nodeKey } from '../metadata/caches.js';
export type { CacheNodeRecord } from '../metadata/caches.js';

/** The node id of a cache without nodes: the cache's own host. */
export const DEFAULT_NODE_ID = 'default';

/** Node ids an edge may choose (`--node-id`): as cache names, plus dots and underscores. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** One node of a group, with the key its health is kept under. */
export interface CacheNode extends CacheNodeRecord {
  cache: string;
  key: string;
}

export function nodesOf(cache: ContentCache): CacheNode[] {
  const nodes = cache.nodes?.length
    ? cache.nodes
    : [{ id: DEFAULT_NODE_ID, host: cache.host, joinedAt: cache.createdAt }];
  return nodes.map((node) => ({ ...node, cache: cache.name, key: nodeKey(cache.name, node.id) }));
}
