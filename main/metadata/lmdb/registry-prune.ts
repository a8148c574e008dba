/**
 * @module `RegistryMetadata.pruneManifests` on LMDB (tables in registry-tables.ts): reads what
 * references the candidates and deletes those prunable-manifests.ts lets go, inside one
 * `writeAtomically` transaction (LMDB has one writer: the reads still hold at commit).
 *
 * Indexes are found by reading the repository's manifests (no table maps a child to its
 * parents): a batch costs one pass over them, which pruning (a job, batches of a hundred) affords.
 */
import { key, prefixRange, splitKey } from '../../../src/store/lmdb.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { type CandidateLinks, prunableManifests } from '../prunable-manifests.js';
import type { RegistryMetadata, RepositoryEvent } from '../registry.js';
import type { RegistryTables } from './registry-tables.js';

export interface LmdbPruneDeps {
  db: RegistryTables;
  transaction: <T>(fn: () => T) => Promise<T>;
  putEvent: (repo: string, event: RepositoryEvent) => void;
}

export function lmdbPruneManifests({ db, transaction, putEvent }: LmdbPruneDeps): RegistryMetadata['pruneManifests'] {
  /** The candidates' links as the database holds them now, ignoring the tags `withoutTags`. */
  const readLinks = (repo: RepoName, digests: readonly Digest[], withoutTags: ReadonlySet<string>) => {
    const wanted = new Set<string>(digests);
    const links = new Map<Digest, { tagged: boolean; referencedBy: Digest[] }>();
    for (const digest of wanted) {
      if (db.manifests.doesExist(key(repo, digest))) links.set(digest as Digest, { tagged: false, referencedBy: [] });
    }
    for (const { key: tagKey, value } of db.tags.getRange(prefixRange([repo]))) {
      const link = links.get(value.digest);
      if (link && !withoutTags.has(splitKey(tagKey)[1]!)) link.tagged = true;
    }
    for (const { key: manifestKey, value } of db.manifests.getRange(prefixRange([repo]))) {
      for (const child of value.children) links.get(child)?.referencedBy.push(splitKey(manifestKey)[1] as Digest);
    }
    for (const [digest, link] of links) {
      for (const referrerKey of db.referrers.getKeys(prefixRange([repo, digest])))
        link.referencedBy.push(splitKey(referrerKey)[2] as Digest);
    }
    return links as Map<Digest, CandidateLinks>;
  };

  return async (repo, digests, actor, at, dryRun) => {
    if (dryRun) return prunableManifests(digests, readLinks(repo, digests, new Set(dryRun.withoutTags)));
    return transaction(() => {
      const going = prunableManifests(digests, readLinks(repo, digests, new Set()));
      for (const digest of going) {
        const record = db.manifests.get(key(repo, digest))!;
        void db.manifests.remove(key(repo, digest));
        for (const blob of record.blobs) void db.blobRefs.remove(key(blob, repo, digest));
        if (record.subject) void db.referrers.remove(key(repo, record.subject, digest));
        putEvent(repo, { type: 'prune', actor, at, digest });
      }
      return going;
    });
  };
}
