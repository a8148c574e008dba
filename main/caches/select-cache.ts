/**
 * @module Which cache serves a pull (DESIGN 3.3): the user's setting, else their
 * organization's default, else the cache whose networks contain the client's address, else
 * none. A chosen cache that is down is skipped for the next one up its chain, then main.
 */
import type { ContentCache } from './content-caches.js';

export interface SelectionInput {
  userCache?: string;
  orgCaches: string[];
  clientAddress: string;
  caches: ContentCache[];
  matchesNetwork: (cache: ContentCache, address: string) => boolean;
  chainOf: (name: string) => ContentCache[];
  isUp: (name: string) => boolean;
}

export type SelectionReason = 'user' | 'organization' | 'network';

export interface Selection {
  /** The cache to redirect to (the first healthy one of the chain). */
  cache: ContentCache;
  /** That cache and every cache above it, nearest first: the redirect token's audience. */
  audience: string[];
  reason: SelectionReason;
}

/** The cache for this pull, or undefined when main serves it itself. */
export function selectCache(input: SelectionInput): Selection | { none: 'no-preference' | 'cache-down' } {
  const preferred: Array<[string, SelectionReason]> = [];
  if (input.userCache) preferred.push([input.userCache, 'user']);
  else {
    for (const org of input.orgCaches) preferred.push([org, 'organization']);
    const byNetwork = input.caches.find((c) => c.networks.length > 0 && input.matchesNetwork(c, input.clientAddress));
    if (byNetwork) preferred.push([byNetwork.name, 'network']);
  }
  const [first] = preferred;
  if (!first) return { none: 'no-preference' };
  const [name, reason] = first;
  const chain = input.chainOf(name);
  const healthy = chain.findIndex((c) => input.isUp(c.name));
  if (healthy < 0) return { none: chain.length === 0 ? 'no-preference' : 'cache-down' };
  const cache = chain[healthy]!;
  return { cache, audience: chain.slice(healthy).map((c) => c.name), reason };
}
