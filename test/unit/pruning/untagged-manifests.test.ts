/**
 * The manifests a prune run tries after its tags (main/pruning/untagged-manifests.ts), over the
 * real embedded metadata: the candidates reach an index's children and every referrer, and the
 * batched deletion ends where one batch would (a child whose index comes in a later batch goes
 * in the next pass), recording a `prune` event for each.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedMetadata } from '../../../main/metadata/lmdb/open.js';
import type { Metadata } from '../../../main/metadata/metadata.js';
import type { ManifestRecord } from '../../../main/metadata/registry.js';
import { deleteUntagged, PRUNE_BATCH, untaggedCandidates } from '../../../main/pruning/untagged-manifests.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { digest, indexRecord, manifestRecord } from '../../contract/registry-metadata-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const repo = 'team/app' as RepoName;

describe('untagged manifests of a prune run', () => {
  let temp: TempDir;
  let metadata: Metadata;

  beforeEach(async () => {
    temp = await createTempDir('outpost-untagged-');
    metadata = openEmbeddedMetadata(temp.path);
  });
  afterEach(async () => {
    await metadata.close();
    await temp.remove();
  });

  async function put(name: string, record: ManifestRecord): Promise<Digest> {
    for (const blob of record.blobs) await metadata.registry.linkBlob(repo, blob, 1, 1);
    expect((await metadata.registry.putManifest({ repo, digest: digest(name), record, actor: 'a' })).kind).toBe(
      'stored',
    );
    return digest(name);
  }

  it('finds the children of an index and the referrers, transitively', async () => {
    const child = await put('child', manifestRecord([digest('layer')], 1));
    const index = await put('index', indexRecord([child], 1));
    const signature = await put('sig', { ...manifestRecord([digest('sig layer')], 1), subject: child });
    const countersign = await put('sig2', { ...manifestRecord([digest('sig2 layer')], 1), subject: signature });
    expect(await untaggedCandidates(metadata.registry, repo, [index])).toEqual([index, child, signature, countersign]);
  });

  it('deletes in batches a child listed before its index, over several passes', async () => {
    const children: Digest[] = [];
    for (let i = 0; i < PRUNE_BATCH + 1; i++)
      children.push(await put(`image ${i}`, manifestRecord([digest(`l${i}`)], 1)));
    // The index comes last: in the first pass its first child is kept (the index was still there).
    const index = await put('index', indexRecord([children[0]!], 1));
    const deleted = await deleteUntagged(metadata.registry, repo, [...children, index], 'job:7', () => 9);
    expect(new Set(deleted)).toEqual(new Set([...children, index]));
    expect(deleted.at(-1)).toBe(children[0]);
    for (const gone of [...children, index]) expect(await metadata.registry.getManifest(repo, gone)).toBeUndefined();
    const events = await metadata.registry.listEvents(repo, 1000);
    expect(events.filter((event) => event.type === 'prune')).toHaveLength(PRUNE_BATCH + 2);
  });
});
