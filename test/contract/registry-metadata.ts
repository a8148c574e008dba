/**
 * The `RegistryMetadata` contract (main/metadata/registry.ts) as one suite that every backend
 * runs: `describeRegistryMetadata('LMDB', factory)`. It uses the interface only; refusals are
 * checked to leave nothing behind by reading everything they could have written.
 * Garbage collection, repair, uploads and events are in registry-metadata-maintenance.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryMetadata } from '../../main/metadata/registry.js';
import type { RepoName } from '../../src/oci/reference.js';
import { describeMaintenance } from './registry-metadata-maintenance.js';
import { describePruneManifests } from './registry-metadata-prune.js';
import {
  byTag,
  digest,
  indexRecord,
  manifestRecord,
  type RegistryMetadataFixture,
} from './registry-metadata-fixtures.js';

export type { RegistryMetadataFixture } from './registry-metadata-fixtures.js';

const repo = 'team/app' as RepoName;
const other = 'team/other' as RepoName;

export function describeRegistryMetadata(name: string, factory: () => Promise<RegistryMetadataFixture>): void {
  describe(`${name} (RegistryMetadata contract)`, () => {
    let fixture: RegistryMetadataFixture;
    let metadata: RegistryMetadata;

    beforeEach(async () => {
      fixture = await factory();
      metadata = fixture.metadata;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Links the blobs and stores a manifest of them by `tag` (or by digest). */
    async function pushImage(into: RepoName, tag: string | undefined, blobs: string[], at = 1000) {
      for (const blob of blobs) await metadata.linkBlob(into, digest(blob), blob.length, at);
      const record = manifestRecord(blobs.map(digest), at);
      const manifestDigest = digest(`manifest of ${blobs.join(',')}`);
      const outcome = await metadata.putManifest({
        repo: into,
        digest: manifestDigest,
        record,
        actor: 'alice',
        ...(tag !== undefined && { tag }),
      });
      return { digest: manifestDigest, record, outcome };
    }

    describe('repositories', () => {
      it('creates a repository with its create event, and refuses to create it twice', async () => {
        expect(await metadata.createRepository(repo, { createdAt: 5, visibility: 'public' }, 'alice')).toBe(true);
        expect(await metadata.getRepository(repo)).toEqual({ createdAt: 5, visibility: 'public' });
        expect(await metadata.createRepository(repo, { createdAt: 6 }, 'bob')).toBe(false);
        expect(await metadata.getRepository(repo)).toEqual({ createdAt: 5, visibility: 'public' });
        expect(await metadata.listEvents(repo, 10)).toEqual([{ type: 'create', actor: 'alice', at: 5 }]);
      });

      it('updates settings with a settings event, and answers undefined for an unknown repository', async () => {
        await metadata.createRepository(repo, { createdAt: 5 }, 'alice');
        expect(await metadata.updateRepository(repo, { immutableTags: true }, 'bob', 9)).toEqual({
          createdAt: 5,
          immutableTags: true,
        });
        expect((await metadata.listEvents(repo, 1))[0]).toEqual({ type: 'settings', actor: 'bob', at: 9 });
        expect(await metadata.updateRepository('team/none', { visibility: 'public' }, 'bob', 9)).toBeUndefined();
        expect(await metadata.getRepository('team/none')).toBeUndefined();
      });

      it('keeps a pull policy: set at creation, changed by an update, reset to "none", other settings untouched', async () => {
        await metadata.createRepository(repo, { createdAt: 5, blockPullsAtSeverity: 'critical' }, 'alice');
        expect(await metadata.getRepository(repo)).toEqual({ createdAt: 5, blockPullsAtSeverity: 'critical' });
        expect(await metadata.updateRepository(repo, { blockPullsAtSeverity: 'high' }, 'bob', 9)).toEqual({
          createdAt: 5,
          blockPullsAtSeverity: 'high',
        });
        expect(await metadata.updateRepository(repo, { immutableTags: true }, 'bob', 10)).toEqual({
          createdAt: 5,
          immutableTags: true,
          blockPullsAtSeverity: 'high',
        });
        await metadata.updateRepository(repo, { blockPullsAtSeverity: 'none' }, 'bob', 11);
        expect((await metadata.getRepository(repo))?.blockPullsAtSeverity).toBe('none');
        expect((await metadata.listEvents(repo, 1))[0]).toEqual({ type: 'settings', actor: 'bob', at: 11 });
      });

      it('lists repositories in name order, after a name, up to a limit, within a namespace', async () => {
        for (const name of ['b/x', 'a/y', 'a/x', 'a-b/z', 'a0', 'ab/q']) {
          await metadata.createRepository(name as RepoName, { createdAt: 1 }, 'admin');
        }
        const names = async (options: Parameters<RegistryMetadata['listRepositories']>[0]) =>
          (await metadata.listRepositories(options)).map((entry) => entry.name);
        expect(await names({ limit: 10 })).toEqual(['a-b/z', 'a/x', 'a/y', 'a0', 'ab/q', 'b/x']);
        expect(await names({ limit: 2, after: 'a/x' })).toEqual(['a/y', 'a0']);
        expect(await names({ limit: 10, namespace: 'a' })).toEqual(['a/x', 'a/y']);
        expect(await names({ limit: 10, namespace: 'a', after: 'a/x' })).toEqual(['a/y']);
        expect(await names({ limit: 10, namespace: 'c' })).toEqual([]);
        expect((await metadata.listRepositories({ limit: 1 }))[0]).toEqual({ name: 'a-b/z', createdAt: 1 });
        expect(await metadata.countRepositories()).toBe(6);
      });

      it('lists the namespaces that hold repositories, skipping names without one', async () => {
        for (const name of ['b/x', 'a/y', 'a/x', 'alpine', 'c/z']) {
          await metadata.createRepository(name as RepoName, { createdAt: 1 }, 'admin');
        }
        expect(await metadata.listNamespaces({ limit: 10 })).toEqual(['a', 'b', 'c']);
        expect(await metadata.listNamespaces({ limit: 1, after: 'a' })).toEqual(['b']);
        expect(await metadata.listNamespaces({ limit: 10, after: 'c' })).toEqual([]);
      });

      it('deletes a repository with everything of its own, and keeps blob records and other repositories', async () => {
        const pushed = await pushImage(repo, 'v1', ['layer-a', 'layer-b']);
        const kept = await pushImage(other, 'v1', ['layer-a']);
        await metadata.deleteRepository(repo);

        expect(await metadata.getRepository(repo)).toBeUndefined();
        expect(await metadata.listTags(repo, { limit: 10 })).toEqual([]);
        expect(await metadata.getManifest(repo, pushed.digest)).toBeUndefined();
        expect(await metadata.hasBlob(repo, digest('layer-b'))).toBe(false);
        expect(await metadata.listEvents(repo, 10)).toEqual([]);
        expect(await metadata.referencingRepositories(digest('layer-b'))).toEqual([]);
        expect(await metadata.referencingRepositories(digest('layer-a'))).toEqual([other]);
        expect(await metadata.getBlob(digest('layer-b'))).toBeDefined();
        expect(await metadata.resolve(other, byTag('v1'))).toBe(kept.digest);
      });
    });

    describe('blobs', () => {
      it('links a blob to a repository (creating its record) and says what was new', async () => {
        expect(await metadata.linkBlob(repo, digest('a'), 10, 100)).toEqual({ newBlob: true, newLink: true });
        expect(await metadata.getRepository(repo)).toEqual({ createdAt: 100 });
        expect(await metadata.hasBlob(repo, digest('a'))).toBe(true);
        expect(await metadata.hasBlob(other, digest('a'))).toBe(false);
        expect(await metadata.linkBlob(other, digest('a'), 10, 200)).toEqual({ newBlob: false, newLink: true });
        expect(await metadata.linkBlob(other, digest('a'), 10, 300)).toEqual({ newBlob: false, newLink: false });
        expect(await metadata.getBlob(digest('a'))).toEqual({ size: 10, createdAt: 100, linkedAt: 300 });
        expect(await metadata.blobTotals()).toEqual({ blobs: 1, bytes: 10 });
      });

      it('takes back only what a link added', async () => {
        await metadata.linkBlob(repo, digest('a'), 10, 100);
        const link = await metadata.linkBlob(other, digest('a'), 10, 200);
        await metadata.revertLink(other, digest('a'), link);
        expect(await metadata.hasBlob(other, digest('a'))).toBe(false);
        expect(await metadata.hasBlob(repo, digest('a'))).toBe(true);
        await metadata.revertLink(repo, digest('b'), await metadata.linkBlob(repo, digest('b'), 5, 300));
        expect(await metadata.getBlob(digest('b'))).toBeUndefined();
      });

      it('unlinks a blob from one repository; false when it did not hold it', async () => {
        await metadata.linkBlob(repo, digest('a'), 10, 100);
        expect(await metadata.unlinkBlob(repo, digest('a'))).toBe(true);
        expect(await metadata.unlinkBlob(repo, digest('a'))).toBe(false);
        expect(await metadata.hasBlob(repo, digest('a'))).toBe(false);
        expect(await metadata.getBlob(digest('a'))).toBeDefined();
      });

      it('adds up the distinct blobs a repository holds, within the links it may read', async () => {
        expect(await metadata.repositoryBytes(repo, 10)).toEqual({ bytes: 0, complete: true });
        await metadata.linkBlob(repo, digest('a'), 10, 100);
        await metadata.linkBlob(repo, digest('b'), 5, 100);
        await metadata.linkBlob(repo, digest('a'), 10, 200);
        await metadata.linkBlob(other, digest('c'), 7, 100);
        expect(await metadata.repositoryBytes(repo, 10)).toEqual({ bytes: 15, complete: true });
        expect(await metadata.repositoryBytes(repo, 2)).toEqual({ bytes: 15, complete: true });
        const head = await metadata.repositoryBytes(repo, 1);
        expect(head.complete).toBe(false);
        expect([5, 10]).toContain(head.bytes);
        await metadata.unlinkBlob(repo, digest('b'));
        expect(await metadata.repositoryBytes(repo, 10)).toEqual({ bytes: 10, complete: true });
      });

      it("gives a blob's size in one read only where the repository holds it", async () => {
        await metadata.linkBlob(repo, digest('a'), 10, 100);
        expect(await metadata.blobSizeIn(repo, digest('a'))).toBe(10);
        expect(await metadata.blobSizeIn(other, digest('a'))).toBeUndefined();
        expect(await metadata.blobSizeIn(repo, digest('unknown'))).toBeUndefined();
        await metadata.unlinkBlob(repo, digest('a'));
        expect(await metadata.blobSizeIn(repo, digest('a'))).toBeUndefined();
      });
    });

    describe('putManifest', () => {
      it('stores manifest, tag, references and the push event together', async () => {
        const { digest: stored, record, outcome } = await pushImage(repo, 'v1', ['config', 'layer']);
        expect(outcome).toEqual({ kind: 'stored' });
        expect(await metadata.resolve(repo, byTag('v1'))).toBe(stored);
        expect(await metadata.resolve(repo, { kind: 'digest', digest: stored })).toBe(stored);
        expect(await metadata.getManifest(repo, stored)).toEqual({ ...record, bytes: expect.anything() });
        expect(Buffer.from((await metadata.getManifest(repo, stored))!.bytes)).toEqual(Buffer.from(record.bytes));
        expect(await metadata.referencingRepositories(digest('layer'))).toEqual([repo]);
        expect(await metadata.listEvents(repo, 10)).toEqual([
          { type: 'push', actor: 'alice', at: 1000, tag: 'v1', digest: stored },
        ]);
      });

      it('refuses a manifest whose blobs are not in the repository, writing nothing', async () => {
        await metadata.linkBlob(other, digest('elsewhere'), 1, 1);
        const record = manifestRecord([digest('elsewhere'), digest('never')], 5);
        const target = digest('refused');
        const outcome = await metadata.putManifest({ repo, digest: target, record, tag: 'v1', actor: 'alice' });
        expect(outcome).toEqual({ kind: 'missing', digests: [digest('elsewhere'), digest('never')], count: 2 });
        expect(await metadata.getManifest(repo, target)).toBeUndefined();
        expect(await metadata.resolve(repo, byTag('v1'))).toBeUndefined();
        expect(await metadata.referencingRepositories(digest('elsewhere'))).toEqual([]);
        expect(await metadata.listEvents(repo, 10)).toEqual([]);
      });

      it('refuses an index whose child manifests are not in the repository', async () => {
        const child = await pushImage(repo, undefined, ['c']);
        const record = indexRecord([child.digest, digest('absent')], 5);
        const outcome = await metadata.putManifest({ repo, digest: digest('index'), record, actor: 'alice' });
        expect(outcome).toEqual({ kind: 'missing', digests: [digest('absent')], count: 1 });
        const ok = indexRecord([child.digest], 6);
        expect(await metadata.putManifest({ repo, digest: digest('index'), record: ok, actor: 'a' })).toEqual({
          kind: 'stored',
        });
      });

      it('moves a tag and records push and tag; a put by digest records nothing and moves no tag', async () => {
        const first = await pushImage(repo, 'v1', ['one']);
        const second = await pushImage(repo, 'v1', ['two'], 2000);
        expect(second.outcome).toEqual({ kind: 'stored', movedFrom: first.digest });
        expect(await metadata.resolve(repo, byTag('v1'))).toBe(second.digest);
        expect((await metadata.listEvents(repo, 2)).map((e) => e.type)).toEqual(['tag', 'push']);
        const byDigest = await pushImage(repo, undefined, ['three'], 3000);
        expect(byDigest.outcome).toEqual({ kind: 'stored' });
        expect((await metadata.listEvents(repo, 10)).length).toBe(3);
        expect(await metadata.getManifest(repo, first.digest)).toBeDefined();
      });

      it('keeps the first createdAt of a manifest pushed again', async () => {
        const first = await pushImage(repo, 'v1', ['one'], 1000);
        await pushImage(repo, 'v2', ['one'], 5000);
        expect((await metadata.getManifest(repo, first.digest))?.createdAt).toBe(1000);
        const tags = await metadata.listTags(repo, { limit: 10 });
        expect(tags).toEqual([
          { name: 'v1', digest: first.digest, updatedAt: 1000 },
          { name: 'v2', digest: first.digest, updatedAt: 5000 },
        ]);
      });

      it('refuses to move an immutable tag, writing nothing; the same manifest again is accepted', async () => {
        const first = await pushImage(repo, 'v1', ['one']);
        await metadata.updateRepository(repo, { immutableTags: true }, 'admin', 1500);
        const refused = await pushImage(repo, 'v1', ['two'], 2000);
        expect(refused.outcome).toEqual({ kind: 'immutable', current: first.digest });
        expect(await metadata.getManifest(repo, refused.digest)).toBeUndefined();
        expect(await metadata.referencingRepositories(digest('two'))).toEqual([]);
        expect(await metadata.resolve(repo, byTag('v1'))).toBe(first.digest);
        expect((await pushImage(repo, 'v1', ['one'], 3000)).outcome).toEqual({ kind: 'stored' });
        expect((await pushImage(repo, 'v2', ['two'], 3000)).outcome).toEqual({ kind: 'stored' });
      });

      it('indexes referrers by subject and removes the entry with the manifest', async () => {
        const subject = await pushImage(repo, 'v1', ['one']);
        await metadata.linkBlob(repo, digest('sig'), 3, 1);
        const record = { ...manifestRecord([digest('sig')], 5), subject: subject.digest, artifactType: 'x/sig' };
        const referrer = digest('referrer');
        await metadata.putManifest({ repo, digest: referrer, record, actor: 'alice' });
        expect(await metadata.listReferrers(repo, subject.digest)).toEqual([
          { digest: referrer, mediaType: record.mediaType, size: record.size, artifactType: 'x/sig' },
        ]);
        expect(await metadata.listReferrers(other, subject.digest)).toEqual([]);
        expect(await metadata.deleteManifest(repo, referrer, 'alice', 9)).toEqual({ kind: 'deleted' });
        expect(await metadata.listReferrers(repo, subject.digest)).toEqual([]);
      });
    });

    describe('deletes', () => {
      it('deletes a manifest with its tags and references, recording delete', async () => {
        const pushed = await pushImage(repo, 'v1', ['one']);
        await metadata.putManifest({ repo, digest: pushed.digest, record: pushed.record, tag: 'v2', actor: 'a' });
        expect(await metadata.deleteManifest(repo, pushed.digest, 'bob', 2007)).toEqual({ kind: 'deleted' });
        expect(await metadata.listTags(repo, { limit: 10 })).toEqual([]);
        expect(await metadata.referencingRepositories(digest('one'))).toEqual([]);
        expect((await metadata.listEvents(repo, 1))[0]).toEqual({
          type: 'delete',
          actor: 'bob',
          at: 2007,
          digest: pushed.digest,
        });
        expect(await metadata.deleteManifest(repo, pushed.digest, 'bob', 2008)).toEqual({ kind: 'unknown' });
      });

      it('deletes a tag only, recording untag; unknown for a tag that does not exist', async () => {
        const pushed = await pushImage(repo, 'v1', ['one']);
        expect(await metadata.deleteTag(repo, 'v1', 'bob', 2007)).toEqual({ kind: 'deleted' });
        expect(await metadata.getManifest(repo, pushed.digest)).toBeDefined();
        expect((await metadata.listEvents(repo, 1))[0]).toEqual({ type: 'untag', actor: 'bob', at: 2007, tag: 'v1' });
        expect(await metadata.deleteTag(repo, 'v1', 'bob', 2008)).toEqual({ kind: 'unknown' });
      });

      it('refuses tag and tagged-manifest deletes where tags are immutable, removing nothing', async () => {
        const pushed = await pushImage(repo, 'v1', ['one']);
        await metadata.putManifest({ repo, digest: pushed.digest, record: pushed.record, tag: 'v2', actor: 'a' });
        await metadata.updateRepository(repo, { immutableTags: true }, 'admin', 1500);
        const events = (await metadata.listEvents(repo, 10)).length;
        expect(await metadata.deleteTag(repo, 'v1', 'bob', 7)).toEqual({
          kind: 'immutable',
          digest: pushed.digest,
          tags: ['v1'],
          count: 1,
        });
        expect(await metadata.deleteManifest(repo, pushed.digest, 'bob', 7)).toEqual({
          kind: 'immutable',
          digest: pushed.digest,
          tags: ['v1', 'v2'],
          count: 2,
        });
        expect((await metadata.listTags(repo, { limit: 10 })).map((t) => t.name)).toEqual(['v1', 'v2']);
        expect(await metadata.getManifest(repo, pushed.digest)).toBeDefined();
        expect((await metadata.listEvents(repo, 10)).length).toBe(events);
        const untagged = await pushImage(repo, undefined, ['two']);
        expect(await metadata.deleteManifest(repo, untagged.digest, 'bob', 8)).toEqual({ kind: 'deleted' });
      });
    });

    describe('tags', () => {
      it('lists tags in order after a name, and summarises count and last update', async () => {
        const pushed = await pushImage(repo, 'b', ['one'], 100);
        for (const [tag, at] of [
          ['a', 300],
          ['c', 200],
        ] as const) {
          await metadata.putManifest({
            repo,
            digest: pushed.digest,
            record: { ...pushed.record, createdAt: at },
            tag,
            actor: 'x',
          });
        }
        expect((await metadata.listTags(repo, { limit: 10 })).map((t) => t.name)).toEqual(['a', 'b', 'c']);
        expect((await metadata.listTags(repo, { limit: 1, after: 'a' })).map((t) => t.name)).toEqual(['b']);
        expect(await metadata.tagSummary(repo, 100)).toEqual({ count: 3, lastUpdatedAt: 300 });
        expect(await metadata.tagSummary(other, 100)).toEqual({ count: 0 });
      });
    });

    describeMaintenance(() => metadata);
    describePruneManifests(() => metadata);

    it('answers a ping', async () => {
      await expect(metadata.ping()).resolves.toBeUndefined();
    });
  });
}
