/**
 * The `RegistryMetadata` contract, third part: `pruneManifests`, the batch a pruning run deletes
 * the manifests it left untagged with. Called from `describeRegistryMetadata`, inside its fixture.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestRecord, RegistryMetadata } from '../../main/metadata/registry.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { byTag, digest, indexRecord, manifestRecord } from './registry-metadata-fixtures.js';

const repo = 'team/app' as RepoName;

export function describePruneManifests(current: () => RegistryMetadata): void {
  describe('pruneManifests', () => {
    async function put(name: string, record: ManifestRecord, tag?: string): Promise<Digest> {
      const metadata = current();
      for (const blob of record.blobs) await metadata.linkBlob(repo, blob, 1, 100);
      const outcome = await metadata.putManifest({
        repo,
        digest: digest(name),
        record,
        actor: 'alice',
        ...(tag !== undefined && { tag }),
      });
      expect(outcome.kind).toBe('stored');
      return digest(name);
    }
    const image = (name: string, tag?: string) => put(name, manifestRecord([digest(`${name} layer`)], 100), tag);
    const referrer = (name: string, subject: Digest, tag?: string) =>
      put(name, { ...manifestRecord([digest(`${name} layer`)], 100), subject, artifactType: 'a/sig' }, tag);

    it('deletes untagged manifests with their blob references and a prune event each, and keeps tagged ones', async () => {
      const metadata = current();
      const gone = await image('gone');
      const tagged = await image('tagged', 'v1');
      const deleted = await metadata.pruneManifests(repo, [gone, tagged, digest('never stored')], 'job:1', 500);
      expect(deleted).toEqual([gone]);
      expect(await metadata.getManifest(repo, gone)).toBeUndefined();
      expect(await metadata.getManifest(repo, tagged)).toBeDefined();
      // Its layer is no longer referenced: the collector may take it.
      expect(await metadata.collectableBlobs(1000)).toEqual([digest('gone layer')]);
      expect((await metadata.listEvents(repo, 1))[0]).toEqual({ type: 'prune', actor: 'job:1', at: 500, digest: gone });
    });

    it('keeps the child of an index that stays, and deletes an index with its children when both are in the batch', async () => {
      const metadata = current();
      const shared = await image('shared');
      const alone = await image('alone');
      const keptIndex = await put('kept index', indexRecord([shared], 100), 'stable');
      const goneIndex = await put('gone index', indexRecord([shared, alone], 100));
      // Children before their index: the order of the batch does not matter.
      expect(await metadata.pruneManifests(repo, [shared, alone, goneIndex], 'job:1', 500)).toEqual([alone, goneIndex]);
      expect(await metadata.getManifest(repo, shared)).toBeDefined();
      expect(await metadata.getManifest(repo, keptIndex)).toBeDefined();
      expect(await metadata.getManifest(repo, alone)).toBeUndefined();
    });

    it('keeps a child whose index is outside the batch, and the subject of a referrer that stays', async () => {
      const metadata = current();
      const child = await image('child');
      await put('index', indexRecord([child], 100));
      const signed = await image('signed');
      await referrer('signature', signed, 'signed.sig');
      expect(await metadata.pruneManifests(repo, [child, signed], 'job:1', 500)).toEqual([]);
      expect(await metadata.getManifest(repo, child)).toBeDefined();
      expect(await metadata.getManifest(repo, signed)).toBeDefined();
    });

    it('deletes a subject with its untagged referrers, whose referrer entries go too', async () => {
      const metadata = current();
      const subject = await image('subject');
      const sbom = await referrer('sbom', subject);
      expect(await metadata.pruneManifests(repo, [subject, sbom], 'job:1', 500)).toEqual([subject, sbom]);
      expect(await metadata.listReferrers(repo, subject)).toEqual([]);
      expect(await metadata.getManifest(repo, sbom)).toBeUndefined();
    });

    it('in a dry run, writes nothing and answers as if the given tags were gone', async () => {
      const metadata = current();
      const old = await image('old', 'v1');
      const kept = await image('kept', 'v2');
      const events = await metadata.listEvents(repo, 100);
      expect(await metadata.pruneManifests(repo, [old, kept], 'job:1', 500, { withoutTags: ['v1'] })).toEqual([old]);
      expect(await metadata.getManifest(repo, old)).toBeDefined();
      expect(await metadata.resolve(repo, byTag('v1'))).toBe(old);
      expect(await metadata.listEvents(repo, 100)).toEqual(events);
      // For real, the tag still there keeps it.
      expect(await metadata.pruneManifests(repo, [old], 'job:1', 500)).toEqual([]);
    });
  });
}
