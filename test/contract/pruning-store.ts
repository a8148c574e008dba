/**
 * The `PruningStore` contract (main/metadata/pruning.ts) as one suite every backend runs, with
 * the registry owner of the same backend beside it: policies live and die with their repository,
 * pull statistics add up per batch and go with their tag (deleted by name, with its manifest, by
 * pruning, with the repository) but stay when the tag moves; a pruning delete is re-checked
 * against the digest it planned. It uses the interfaces only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PruningPolicyRecord, PruningStore } from '../../main/metadata/pruning.js';
import type { RegistryMetadata } from '../../main/metadata/registry.js';
import type { RepoName } from '../../src/oci/reference.js';
import { byTag, digest, manifestRecord } from './registry-metadata-fixtures.js';

export interface PruningStoreFixture {
  registry: RegistryMetadata;
  pruning: PruningStore;
  cleanup(): Promise<void>;
}

const repo = 'team/app' as RepoName;
const policy: PruningPolicyRecord = {
  rules: [
    { tagPattern: 'dev-*', olderThanDays: 14 },
    { tagPattern: '*', keepMostRecent: 3 },
  ],
  maxTags: 50,
  keepPulledWithinDays: 7,
  updatedAt: 1234,
  updatedBy: 'alice',
};

export function describePruningStore(name: string, factory: () => Promise<PruningStoreFixture>): void {
  describe(`PruningStore on ${name}`, () => {
    let fixture: PruningStoreFixture;
    let registry: RegistryMetadata;
    let pruning: PruningStore;

    beforeEach(async () => {
      fixture = await factory();
      ({ registry, pruning } = fixture);
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Stores a manifest named `content` (one blob) under `tag`; returns its digest. */
    async function push(tag: string, content: string, at = 1000) {
      const blob = digest(`layer of ${content}`);
      await registry.linkBlob(repo, blob, 10, at);
      const manifest = digest(content);
      const outcome = await registry.putManifest({
        repo,
        digest: manifest,
        record: manifestRecord([blob], at),
        tag,
        actor: 'alice',
      });
      expect(outcome.kind).toBe('stored');
      return manifest;
    }

    const pullsOf = async () => Object.fromEntries(await pruning.listPulls(repo));

    it('keeps a policy per repository, replaced whole, and refuses one for a repository that does not exist', async () => {
      expect(await pruning.putPolicy(repo, policy)).toBe(false);
      expect(await pruning.getPolicy(repo)).toBeUndefined();
      await push('v1', 'one');
      expect(await pruning.getPolicy(repo)).toBeUndefined();
      expect(await pruning.putPolicy(repo, policy)).toBe(true);
      expect(await pruning.getPolicy(repo)).toEqual(policy);
      const replaced: PruningPolicyRecord = { rules: [], updatedAt: 99, updatedBy: 'bob' };
      expect(await pruning.putPolicy(repo, replaced)).toBe(true);
      expect(await pruning.getPolicy(repo)).toEqual(replaced);
    });

    it('adds up pulls batch by batch: counts sum, the last pull only moves forward, unknown tags are dropped', async () => {
      await push('v1', 'one');
      await push('v2', 'two');
      await pruning.recordPulls([
        { repo, tag: 'v1', count: 3, lastPulledAt: 500 },
        { repo, tag: 'v2', count: 1, lastPulledAt: 700 },
        { repo, tag: 'gone', count: 9, lastPulledAt: 900 },
        { repo: 'team/none', tag: 'v1', count: 9, lastPulledAt: 900 },
      ]);
      await pruning.recordPulls([
        { repo, tag: 'v1', count: 1, lastPulledAt: 400 },
        { repo, tag: 'v1', count: 1, lastPulledAt: 300 },
      ]);
      expect(await pullsOf()).toEqual({
        v1: { pullCount: 5, lastPulledAt: 500 },
        v2: { pullCount: 1, lastPulledAt: 700 },
      });
      expect(await pruning.listPulls('team/none')).toEqual(new Map());
      await pruning.recordPulls([]);
    });

    it("keeps a tag's pulls when it moves, and drops them when it is deleted by name or with its manifest", async () => {
      await push('v1', 'one');
      await push('v2', 'two');
      await push('v3', 'three');
      await pruning.recordPulls(['v1', 'v2', 'v3'].map((tag) => ({ repo, tag, count: 1, lastPulledAt: 600 })));
      const moved = await push('v1', 'one again', 2000);
      expect(await registry.deleteTag(repo, 'v2', 'bob', 3000)).toEqual({ kind: 'deleted' });
      expect(await registry.deleteManifest(repo, digest('three'), 'bob', 3001)).toEqual({ kind: 'deleted' });
      expect(await pullsOf()).toEqual({ v1: { pullCount: 1, lastPulledAt: 600 } });
      // Pushed again, a deleted tag starts from nothing.
      await push('v2', 'two', 4000);
      expect(await pullsOf()).toEqual({ v1: { pullCount: 1, lastPulledAt: 600 } });
      expect(await registry.resolve(repo, { kind: 'digest', digest: moved })).toBe(moved);
    });

    it('deletes a pruned tag only while it points to the planned digest, with a prune event', async () => {
      const first = await push('v1', 'one');
      await pruning.recordPulls([{ repo, tag: 'v1', count: 4, lastPulledAt: 800 }]);
      const second = await push('v1', 'one, pushed again', 2000);
      expect(await registry.deleteTag(repo, 'v1', 'job:7', 3000, { digest: first })).toEqual({ kind: 'unknown' });
      expect(await registry.resolve(repo, byTag('v1'))).toBe(second);
      expect(await registry.deleteTag(repo, 'v1', 'job:7', 3001, { digest: second })).toEqual({ kind: 'deleted' });
      expect(await registry.resolve(repo, byTag('v1'))).toBeUndefined();
      expect((await registry.listEvents(repo, 1))[0]).toEqual({
        type: 'prune',
        actor: 'job:7',
        at: 3001,
        tag: 'v1',
        digest: second,
      });
      expect(await pullsOf()).toEqual({});
      // The manifest stays: reclaiming it is the garbage collector's work.
      expect(await registry.getManifest(repo, second)).toBeDefined();
    });

    it('refuses to prune in a repository with immutable tags', async () => {
      const first = await push('v1', 'one');
      await registry.updateRepository(repo, { immutableTags: true }, 'alice', 1500);
      expect(await registry.deleteTag(repo, 'v1', 'job:7', 3000, { digest: first })).toEqual({
        kind: 'immutable',
        digest: first,
        tags: ['v1'],
        count: 1,
      });
    });

    it('forgets the policy and the pulls with the repository', async () => {
      await push('v1', 'one');
      await pruning.putPolicy(repo, policy);
      await pruning.recordPulls([{ repo, tag: 'v1', count: 1, lastPulledAt: 600 }]);
      await registry.deleteRepository(repo);
      await push('v1', 'one', 5000);
      expect(await pruning.getPolicy(repo)).toBeUndefined();
      expect(await pullsOf()).toEqual({});
    });
  });
}
