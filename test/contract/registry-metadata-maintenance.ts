/**
 * The `RegistryMetadata` contract, second part: the event log, garbage collection, start-up
 * repair and upload sessions. Called from `describeRegistryMetadata` (registry-metadata.ts),
 * inside its fixture.
 */
import { describe, expect, it } from 'vitest';
import type { RegistryMetadata } from '../../main/metadata/registry.js';
import type { RepoName } from '../../src/oci/reference.js';
import { digest, manifestRecord } from './registry-metadata-fixtures.js';

const repo = 'team/app' as RepoName;
const other = 'team/other' as RepoName;
const upload = '0b6a6f5e-3a1c-4f0e-9a51-8d2f3c4b5a69';

export function describeMaintenance(current: () => RegistryMetadata): void {
  describe('events', () => {
    it('lists the newest first, up to a limit, in write order within one millisecond', async () => {
      const metadata = current();
      await metadata.createRepository(repo, { createdAt: 10 }, 'alice');
      for (const tag of ['a', 'b', 'c']) await metadata.updateRepository(repo, { visibility: 'public' }, tag, 20);
      await metadata.createRepository(other, { createdAt: 30 }, 'bob');
      expect((await metadata.listEvents(repo, 10)).map((e) => e.actor)).toEqual(['c', 'b', 'a', 'alice']);
      expect((await metadata.listEvents(repo, 2)).map((e) => e.actor)).toEqual(['c', 'b']);
      expect(await metadata.listEvents('team/none', 10)).toEqual([]);
    });
  });

  describe('garbage collection', () => {
    it('offers blobs linked before the cutoff that no manifest references', async () => {
      const metadata = current();
      await metadata.linkBlob(repo, digest('old'), 1, 100);
      await metadata.linkBlob(repo, digest('recent'), 1, 900);
      await metadata.linkBlob(repo, digest('used'), 1, 100);
      await metadata.putManifest({
        repo,
        digest: digest('m'),
        record: manifestRecord([digest('used')], 100),
        actor: 'a',
      });
      expect(await metadata.collectableBlobs(500)).toEqual([digest('old')]);
    });

    it('collects a blob with every link to it, and the next push naming it is refused', async () => {
      const metadata = current();
      await metadata.linkBlob(repo, digest('old'), 7, 100);
      await metadata.linkBlob(other, digest('old'), 7, 100);
      expect(await metadata.collectBlob(digest('old'), 500, true)).toBe(7);
      expect(await metadata.getBlob(digest('old'))).toBeDefined();
      expect(await metadata.collectBlob(digest('old'), 500, false)).toBe(7);
      expect(await metadata.getBlob(digest('old'))).toBeUndefined();
      expect(await metadata.hasBlob(repo, digest('old'))).toBe(false);
      expect(await metadata.hasBlob(other, digest('old'))).toBe(false);
      const record = manifestRecord([digest('old')], 600);
      expect(await metadata.putManifest({ repo, digest: digest('m'), record, actor: 'a' })).toMatchObject({
        kind: 'missing',
      });
    });

    it('keeps a blob linked again or referenced since it was offered', async () => {
      const metadata = current();
      await metadata.linkBlob(repo, digest('relinked'), 1, 100);
      await metadata.linkBlob(repo, digest('referenced'), 1, 100);
      expect((await metadata.collectableBlobs(500)).length).toBe(2);
      await metadata.linkBlob(other, digest('relinked'), 1, 600);
      const record = manifestRecord([digest('referenced')], 600);
      await metadata.putManifest({ repo, digest: digest('m'), record, actor: 'a' });
      expect(await metadata.collectBlob(digest('relinked'), 500, false)).toBeUndefined();
      expect(await metadata.collectBlob(digest('referenced'), 500, false)).toBeUndefined();
      expect(await metadata.collectBlob(digest('never'), 500, false)).toBeUndefined();
      expect(await metadata.hasBlob(repo, digest('referenced'))).toBe(true);
      expect(await metadata.blobTotals()).toEqual({ blobs: 2, bytes: 2 });
    });
  });

  describe('repair', () => {
    it('drops blobs whose bytes are gone, and records again those found, linked to their repositories', async () => {
      const metadata = current();
      await metadata.linkBlob(repo, digest('gone'), 1, 100);
      await metadata.linkBlob(repo, digest('here'), 2, 100);
      await metadata.putManifest({
        repo,
        digest: digest('m'),
        record: manifestRecord([digest('gone')], 1),
        actor: 'a',
      });
      expect((await metadata.listBlobDigests()).sort()).toEqual([digest('gone'), digest('here')].sort());

      await metadata.dropBlobs([digest('gone')]);
      expect(await metadata.listBlobDigests()).toEqual([digest('here')]);
      expect(await metadata.hasBlob(repo, digest('gone'))).toBe(false);
      expect(await metadata.referencingRepositories(digest('gone'))).toEqual([repo]);

      await metadata.reindexBlob(digest('gone'), 3, [repo], 700);
      expect(await metadata.getBlob(digest('gone'))).toEqual({ size: 3, createdAt: 700, linkedAt: 700 });
      expect(await metadata.hasBlob(repo, digest('gone'))).toBe(true);
    });
  });

  describe('upload sessions', () => {
    it('stores, updates, lists idle and removes a session', async () => {
      const metadata = current();
      await metadata.putUpload(upload, { repo, size: 0, createdAt: 100, updatedAt: 100 });
      await metadata.putUpload(upload, { repo, size: 42, createdAt: 100, updatedAt: 300 });
      expect(await metadata.getUpload(upload)).toEqual({ repo, size: 42, createdAt: 100, updatedAt: 300 });
      expect(await metadata.listIdleUploads(300)).toEqual([]);
      expect(await metadata.listIdleUploads(301)).toEqual([upload]);
      await metadata.deleteUpload(upload);
      expect(await metadata.getUpload(upload)).toBeUndefined();
      await metadata.deleteUpload(upload);
    });

    it("keeps the blob store's state of a session as it was given", async () => {
      const metadata = current();
      const store = { parts: [{ n: 1, etag: '"abc"' }], key: 'uploads/x', done: false };
      await metadata.putUpload(upload, { repo, size: 5, createdAt: 1, updatedAt: 2, store });
      expect(await metadata.getUpload(upload)).toEqual({ repo, size: 5, createdAt: 1, updatedAt: 2, store });
    });
  });
}
