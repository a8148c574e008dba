/**
 * @module `RegistryMetadata.pruneManifests` on PostgreSQL: one transaction per batch that locks
 * the repository's row (as every tag and manifest write of the repository does: registry.ts),
 * reads what references the candidates, and deletes those prunable-manifests.ts lets go. Blob
 * references and the referrer entry go with each manifest (ON DELETE CASCADE).
 */
import type { Digest } from '../../../src/oci/digest.js';
import { type CandidateLinks, prunableManifests } from '../prunable-manifests.js';
import type { RegistryMetadata } from '../registry.js';
import type { PostgresDatabase, Queryable } from './database.js';
import { insertEvent, lockExisting } from './registry-rows.js';

/** The candidates' links as the database holds them now, ignoring the tags `withoutTags`. */
async function readLinks(
  q: Queryable,
  repo: string,
  digests: readonly Digest[],
  withoutTags: readonly string[],
): Promise<Map<Digest, CandidateLinks>> {
  const links = new Map<Digest, { tagged: boolean; referencedBy: Digest[] }>();
  const existing = await q.query<{ digest: Digest }>(
    'SELECT digest FROM registry_manifests WHERE repo = $1 AND digest = ANY($2)',
    [repo, digests],
  );
  for (const { digest } of existing) links.set(digest, { tagged: false, referencedBy: [] });
  const tagged = await q.query<{ digest: Digest }>(
    'SELECT DISTINCT digest FROM registry_tags WHERE repo = $1 AND digest = ANY($2) AND NOT (tag = ANY($3))',
    [repo, digests, withoutTags],
  );
  for (const { digest } of tagged) links.get(digest)!.tagged = true;
  const parents = await q.query<{ digest: Digest; children: Digest[] }>(
    'SELECT digest, children FROM registry_manifests WHERE repo = $1 AND children && $2::text[]',
    [repo, digests],
  );
  for (const parent of parents) {
    for (const child of parent.children) links.get(child)?.referencedBy.push(parent.digest);
  }
  const referrers = await q.query<{ subject: Digest; digest: Digest }>(
    'SELECT subject, digest FROM registry_referrers WHERE repo = $1 AND subject = ANY($2)',
    [repo, digests],
  );
  for (const referrer of referrers) links.get(referrer.subject)?.referencedBy.push(referrer.digest);
  return links;
}

export function postgresPruneManifests(db: PostgresDatabase): RegistryMetadata['pruneManifests'] {
  return async (repo, digests, actor, at, dryRun) => {
    if (dryRun) return prunableManifests(digests, await readLinks(db, repo, digests, dryRun.withoutTags));
    return db.transaction(async (tx) => {
      if (!(await lockExisting(tx, repo))) return [];
      const going = prunableManifests(digests, await readLinks(tx, repo, digests, []));
      if (going.length === 0) return going;
      await tx.query('DELETE FROM registry_manifests WHERE repo = $1 AND digest = ANY($2)', [repo, going]);
      for (const digest of going) await insertEvent(tx, repo, { type: 'prune', actor, at, digest });
      return going;
    });
  };
}
