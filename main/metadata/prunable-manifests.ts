/**
 * @module Which manifests of a pruning batch may go, decided by both backends inside the
 * transaction that deletes them (RegistryMetadata.pruneManifests), from what they read there.
 *
 * A candidate goes when it exists, no tag points to it, and everything that references it goes
 * too: an index listing it as a child, or a referrer whose subject it is. A reference from a
 * manifest outside the candidates keeps it (that manifest stays). The answer is the greatest
 * set with that property (start from all, drop what a kept manifest references, until nothing
 * changes), so an index and its children, or an image and its signatures, go together, and the
 * order of the candidates does not matter.
 */
import type { Digest } from '../../src/oci/digest.js';

/** What the transaction read about one candidate. */
export interface CandidateLinks {
  /** A tag of the repository points to it. */
  tagged: boolean;
  /** Manifests of the repository that reference it: indexes listing it, referrers naming it as subject. */
  referencedBy: readonly Digest[];
}

/** Those of `candidates` (in their order) that may go; a candidate without links does not exist. */
export function prunableManifests(candidates: readonly Digest[], links: ReadonlyMap<Digest, CandidateLinks>): Digest[] {
  const going = new Set(candidates.filter((digest) => links.has(digest) && !links.get(digest)!.tagged));
  for (let changed = true; changed; ) {
    changed = false;
    for (const digest of going) {
      if (links.get(digest)!.referencedBy.some((by) => !going.has(by))) {
        going.delete(digest);
        changed = true;
      }
    }
  }
  return candidates.filter((digest) => going.has(digest));
}
