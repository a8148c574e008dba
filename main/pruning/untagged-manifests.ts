/**
 * @module The manifests a pruning run leaves untagged: which to try (the candidates), and their
 * deletion in batches (`RegistryMetadata.pruneManifests`, which decides, in each batch's
 * transaction, what may go: main/metadata/prunable-manifests.ts).
 */
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { RegistryMetadata } from '../metadata/registry.js';

// Manifests per transaction: a batch reads the repository's manifests once (LMDB) and holds its lock.
export const PRUNE_BATCH = 100;
// A run considers at most this many manifests; what is beyond waits for the next run.
export const MAX_CANDIDATES = 10_000;

/**
 * `digests` (the manifests of the deleted tags) with, transitively, the children of indexes and
 * the referrers: what may have lost its last tag or its last reason to stay. In discovery order.
 */
export async function untaggedCandidates(
  registry: Pick<RegistryMetadata, 'getManifest' | 'listReferrers'>,
  repo: RepoName,
  digests: readonly Digest[],
): Promise<Digest[]> {
  const found = new Set<Digest>(digests);
  for (const digest of found) {
    if (found.size >= MAX_CANDIDATES) break;
    const [manifest, referrers] = await Promise.all([
      registry.getManifest(repo, digest),
      registry.listReferrers(repo, digest),
    ]);
    for (const child of manifest?.children ?? []) found.add(child);
    for (const referrer of referrers) found.add(referrer.digest);
  }
  return [...found].slice(0, MAX_CANDIDATES);
}

/**
 * Deletes what may go of `candidates`, batch by batch, and again over those kept while a pass
 * deleted something: a manifest kept because its index was in a later batch goes in the next
 * pass, so the result is the one a single batch would give (the dry run's answer).
 */
export async function deleteUntagged(
  registry: Pick<RegistryMetadata, 'pruneManifests'>,
  repo: RepoName,
  candidates: readonly Digest[],
  actor: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<Digest[]> {
  const deleted: Digest[] = [];
  let remaining = [...candidates];
  for (let progress = true; progress && remaining.length > 0; ) {
    const before = deleted.length;
    for (let start = 0; start < remaining.length; start += PRUNE_BATCH) {
      signal?.throwIfAborted();
      deleted.push(...(await registry.pruneManifests(repo, remaining.slice(start, start + PRUNE_BATCH), actor, now())));
    }
    progress = deleted.length > before;
    const gone = new Set(deleted);
    remaining = remaining.filter((digest) => !gone.has(digest));
  }
  return deleted;
}
