/**
 * @module Which cache serves a pull (DESIGN 3.3): the user's setting, else their
 * organization's default, else the cache whose networks contain the client's address, else
 * none. A chosen cache that is down, or whose upstream is, gives way to the next cache up its
 * chain, then to main.
 */
import type { ContentCache } from './content-caches.js';

export interface SelectionInput {
  userCache?: string;
  orgCaches: string[];
  clientAddress: string;
  caches: ContentCache[];
  matchesNetwork: (cache: ContentCache, address: string) => boolean;
  chainOf: (name: string) => ContentCache[];
  /** Whether the cache (a group: one of its nodes) is up. */
  isUp: (name: string, cache: ContentCache) => boolean;
}

export type SelectionReason = 'user' | 'organization' | 'network';

export interface Selection {
  /** The cache to redirect to: the nearest one whose chain up to main is all up. */
  cache: ContentCache;
  /** That cache and every cache above it, nearest first: the redirect token's audience. */
  audience: string[];
  reason: SelectionReason;
  /** The cache the rule named: `cache` itself, or a cache below it that is down. */
  preferred: string;
}

/** Why main serves a pull itself; `preferred` names the cache the rule chose when it is down. */
export type NoSelection = { none: 'no-preference' } | { none: 'cache-down'; preferred: string };

/** Candidate cache names in order of precedence; the network rule is only evaluated if reached. */
function* preferences(input: SelectionInput): Generator<[string, SelectionReason]> {
  if (input.userCache) yield [input.userCache, 'user'];
  for (const org of input.orgCaches) yield [org, 'organization'];
  const byNetwork = input.caches.find((c) => c.networks.length > 0 && input.matchesNetwork(c, input.clientAddress));
  if (byNetwork) yield [byNetwork.name, 'network'];
}

/** The cache for this pull, or why main serves it itself. */
export function selectCache(input: SelectionInput): Selection | NoSelection {
  // A setting that names a cache removed since counts as no setting: the next rule decides
  // (before, a stale user setting sent every pull to main despite an organization default).
  let first: { reason: SelectionReason; chain: ContentCache[] } | undefined;
  for (const [name, reason] of preferences(input)) {
    const chain = input.chainOf(name);
    if (chain.length > 0) {
      first = { reason, chain };
      break;
    }
  }
  if (!first) return { none: 'no-preference' };
  const { reason, chain } = first;
  // A cache fetches its misses through every cache above it, so it may serve only while all
  // of them are up: the nearest cache whose whole upward chain is up is chosen, else main.
  // (Taking the first cache that is up sent pulls to asia while eu above it was down, and
  // every blob asia did not hold yet failed.)
  let healthy = chain.length;
  while (healthy > 0 && input.isUp(chain[healthy - 1]!.name, chain[healthy - 1]!)) healthy--;
  const cache = chain[healthy];
  const preferred = chain[0]!.name;
  if (!cache) return { none: 'cache-down', preferred };
  return { cache, audience: chain.slice(healthy).map((c) => c.name), reason, preferred };
}
