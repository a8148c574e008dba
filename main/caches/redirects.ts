/**
 * @module The redirect decision for a blob GET: which cache, and the signed URL to it.
 *
 * Signing costs a few hundred microseconds, and a client pulling an image asks for each blob
 * once but many clients ask for the same blobs: a token for the same user, cache, repository
 * and blob is reused while more than half of its life is left.
 *
 * The cache chosen is a group: the blob goes to one of its healthy nodes by rendezvous hashing
 * of the digest (rendezvous.ts), so every replica sends a blob to the same node. The token's
 * audience names groups, so any node of a group accepts it.
 */
import { LRUCache } from 'lru-cache';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { ANONYMOUS } from '../../src/auth/registry-token.js';
import type { KeyRing } from '../../src/auth/keys.js';
import type { Principal } from '../accounts/permissions.js';
import { chainIn, networkMatcher, type ContentCache, type ContentCaches } from './content-caches.js';
import type { HealthProbe } from './health-probe.js';
import { selectCache, type SelectionReason } from './select-cache.js';
import { nodesOf, type CacheNode } from './cache-nodes.js';
import { pickNode, rendezvousNode, type RankedNode } from './rendezvous.js';
import { createHotBlobs } from './hot-blobs.js';

/** Why main serves a client's pull itself (metric `outpost_main_blob_direct_total{reason}`). */
export type DirectReason = 'no-preference' | 'cache-down';

export type RedirectDecision =
  /** Answer 307 to `location`. */
  | { kind: 'redirect'; cache: string; node: string; location: string }
  /** Main serves the bytes itself. */
  | { kind: 'direct'; reason: DirectReason };

export interface RedirectsDeps {
  /** The cache list, as remembered (main/caches/redirect-inputs.ts). */
  caches: Pick<ContentCaches, 'list'>;
  probe: HealthProbe;
  /** The user's own cache setting, and their organizations' defaults in order. */
  preferences: (user: string) => Promise<{ userCache?: string; orgCaches: string[] }>;
  keys: KeyRing;
  issuer: string;
  lifetimeMs: number;
  now: () => number;
  /** Very hot blobs (hot-blobs.ts): requests per second above which one spreads, and over how many nodes. */
  hotBlobRequestsPerSecond?: number;
  hotBlobSpread?: number;
  /** Told of each redirect decided (by node key): the dashboard's "redirects received". */
  onRedirect?: (nodeKey: string) => void;
}

type Node = CacheNode & RankedNode;

/** Where a user's pulls fetch their layers from, and why (for the pages; no token is made). */
export type PullSource =
  | { kind: 'cache'; cache: string; region?: string; reason: SelectionReason; preferred: string }
  | { kind: 'main'; reason: 'no-caches' | 'no-preference' | 'cache-down'; preferred?: string };

export function createRedirects(deps: RedirectsDeps) {
  const tokens = new LRUCache<string, { token: string; expiresAt: number }>({ max: 50_000 });
  const matchers = new Map<string, (address: string) => boolean>();
  const matches = (cache: ContentCache, address: string) => {
    const id = cache.networks.join(',');
    let matcher = matchers.get(id);
    if (!matcher) matchers.set(id, (matcher = networkMatcher(cache.networks)));
    return matcher(address);
  };
  // A cache's ranked nodes, computed once per cache object (a list kept in memory keeps them).
  const rankedNodes = new WeakMap<ContentCache, Node[]>();
  const nodesFor = (cache: ContentCache): Node[] => {
    let nodes = rankedNodes.get(cache);
    if (!nodes) rankedNodes.set(cache, (nodes = nodesOf(cache).map(rendezvousNode)));
    return nodes;
  };
  const nodeUp = (node: Node) => deps.probe.isNodeUp(node.key, node.host);
  const groupUp = (_name: string, cache: ContentCache) => nodesFor(cache).some(nodeUp);
  const hot = createHotBlobs(deps.hotBlobRequestsPerSecond ?? 0, deps.hotBlobSpread ?? 1, deps.now);

  async function tokenFor(subject: string, audience: string[], repository: string, digest: string): Promise<string> {
    const id = `${subject}\u0000${audience.join(',')}\u0000${repository}\u0000${digest}`;
    const now = deps.now();
    const cached = tokens.get(id);
    if (cached && cached.expiresAt - now > deps.lifetimeMs / 2) return cached.token;
    const token = await issueRedirectToken(deps.keys.signingKey, {
      issuer: deps.issuer,
      subject,
      audience,
      repository,
      digest,
      lifetimeMs: deps.lifetimeMs,
      now,
    });
    tokens.set(id, { token, expiresAt: now + deps.lifetimeMs });
    return token;
  }

  async function select(principal: Principal, clientAddress: string) {
    const preferences = principal.kind === 'user' ? await deps.preferences(principal.name) : { orgCaches: [] };
    const caches = await deps.caches.list();
    if (caches.length === 0) return { none: 'no-preference' } as const;
    return selectCache({
      ...preferences,
      clientAddress,
      caches,
      matchesNetwork: matches,
      chainOf: (name) => chainIn(caches, name),
      isUp: groupUp,
    });
  }

  return {
    /** Where this caller's pulls go now: the same choice `decide` makes, short of picking a node. */
    async explain(principal: Principal, clientAddress: string): Promise<PullSource> {
      if ((await deps.caches.list()).length === 0) return { kind: 'main', reason: 'no-caches' };
      const selection = await select(principal, clientAddress);
      if ('none' in selection)
        return selection.none === 'cache-down'
          ? { kind: 'main', reason: 'cache-down', preferred: selection.preferred }
          : { kind: 'main', reason: 'no-preference' };
      const { cache, reason, preferred } = selection;
      return { kind: 'cache', cache: cache.name, ...(cache.region && { region: cache.region }), reason, preferred };
    },

    /**
     * Where cache `name` keeps `digest`, and the URL that node accepts for it: the node a pull
     * would be sent to (rendezvous over the group's healthy nodes), with a token issued as for
     * a pull (audience: the cache and those above it). For main's warm-cache job; undefined when
     * no node of the group is up.
     */
    async warmTarget(
      cache: ContentCache,
      chain: readonly string[],
      repository: string,
      digest: string,
    ): Promise<{ node: string; url: string } | undefined> {
      const node = pickNode(nodesFor(cache), digest, nodeUp);
      if (!node) return undefined;
      const token = await tokenFor(ANONYMOUS, [...chain], repository, digest);
      return { node: node.id, url: `${node.host}/v2/${repository}/blobs/${digest}?token=${token}` };
    },

    async decide(
      principal: Principal,
      repository: string,
      digest: string,
      clientAddress: string,
    ): Promise<RedirectDecision> {
      const subject = principal.kind === 'user' ? principal.name : ANONYMOUS;
      const selection = await select(principal, clientAddress);
      if ('none' in selection) return { kind: 'direct', reason: selection.none };
      const node = pickNode(nodesFor(selection.cache), digest, nodeUp, hot.slot(digest));
      if (!node) return { kind: 'direct', reason: 'cache-down' };
      deps.probe.noteRedirect(node);
      deps.onRedirect?.(node.key);
      const token = await tokenFor(subject, selection.audience, repository, digest);
      return {
        kind: 'redirect',
        cache: selection.cache.name,
        node: node.id,
        location: `${node.host}/v2/${repository}/blobs/${digest}?token=${token}`,
      };
    },
  };
}

export type Redirects = ReturnType<typeof createRedirects>;
