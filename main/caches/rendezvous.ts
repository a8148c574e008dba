/**
 * @module Which node of a cache group serves a blob: rendezvous (highest random weight)
 * hashing of the digest over the group's healthy nodes. Every replica of main ranks the nodes
 * the same way without sharing anything, each blob lands on one node (so a region stores it
 * once), the blobs spread evenly, and when a node leaves only the blobs it ranked first move
 * (to each one's second choice); a node that joins takes only the blobs it now ranks first.
 *
 * The redirect path calls this for every blob GET: it allocates nothing but the ranking and
 * reads nothing but its arguments. A node's own hash is computed once (`rendezvousNode`).
 */

/** A node ready to be ranked: `seed` is the hash of its id (rendezvousNode). */
export interface RankedNode {
  readonly id: string;
  readonly seed: number;
}

/** FNV-1a over the UTF-16 code units of `text` (ids and digests are ASCII). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Murmur3's finalizer: every input bit flips about half of the output bits. */
function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function rendezvousNode<T extends { id: string }>(node: T): T & RankedNode {
  return { ...node, seed: mix(fnv1a(node.id)) };
}

/** The weight of `node` for a digest whose hash is `digestHash`; ties are broken by id. */
const weight = (seed: number, digestHash: number) => mix((seed ^ digestHash) >>> 0) ^ mix(seed + digestHash);

/**
 * The node that serves `digest`: the highest weight among the `nodes` that pass `usable` (the
 * healthy ones); undefined when none does. `slot` > 0 takes the node ranked `slot + 1` instead
 * (a hot blob spread over its first nodes), or the last usable one when there are fewer.
 */
export function pickNode<T extends RankedNode>(
  nodes: readonly T[],
  digest: string,
  usable: (node: T) => boolean = () => true,
  slot = 0,
): T | undefined {
  if (slot > 0) {
    const ranked = rankNodes(nodes.filter(usable), digest, slot + 1);
    return ranked[ranked.length - 1];
  }
  const digestHash = mix(fnv1a(digest));
  let best: T | undefined;
  let bestWeight = -1;
  for (const node of nodes) {
    if (!usable(node)) continue;
    const w = weight(node.seed, digestHash) >>> 0;
    if (w > bestWeight || (w === bestWeight && best !== undefined && node.id < best.id)) {
      best = node;
      bestWeight = w;
    }
  }
  return best;
}

/** The first `k` nodes for `digest`, best first. */
export function rankNodes<T extends RankedNode>(nodes: readonly T[], digest: string, k: number): T[] {
  const digestHash = mix(fnv1a(digest));
  return nodes
    .map((node) => ({ node, w: weight(node.seed, digestHash) >>> 0 }))
    .sort((a, b) => b.w - a.w || (a.node.id < b.node.id ? -1 : 1))
    .slice(0, k)
    .map(({ node }) => node);
}
