/**
 * The LMDB registry metadata (main/metadata/lmdb/registry.ts): the contract suite on a real LMDB
 * in a temp dir, plus what only this backend promises: the tables and keys of earlier versions
 * (so existing data directories keep working) and `countRepositoriesInNamespace` for other
 * owners' transactions.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { countRepositoriesInNamespace, createLmdbRegistryMetadata } from '../../../main/metadata/lmdb/registry.js';
import { openRegistryTables } from '../../../main/metadata/lmdb/registry-tables.js';
import { key } from '../../../src/store/lmdb.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { describeRegistryMetadata } from '../../contract/registry-metadata.js';
import { byTag, digest, manifestRecord } from '../../contract/registry-metadata-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

describeRegistryMetadata('LMDB', async () => {
  const temp = await createTempDir('outpost-registry-metadata-');
  const env = openMainEnvironment(join(temp.path, 'db'));
  return {
    metadata: createLmdbRegistryMetadata(env.root),
    async cleanup() {
      await env.close();
      await temp.remove();
    },
  };
});

describe('LMDB registry metadata on an existing data directory', () => {
  let temp: TempDir;
  let env: MainEnvironment;
  beforeEach(async () => {
    temp = await createTempDir('outpost-registry-metadata-');
    env = openMainEnvironment(join(temp.path, 'db'));
  });
  afterEach(async () => {
    await env.close();
    await temp.remove();
  });

  it('reads records written under the keys of earlier versions', async () => {
    const tables = openRegistryTables(env.root);
    const repo = 'team/app' as RepoName;
    const record = manifestRecord([digest('layer')], 5);
    await tables.repositories.put(repo, { createdAt: 1, immutableTags: true });
    await tables.blobs.put(digest('layer'), { size: 9, createdAt: 2, linkedAt: 3 });
    await tables.repoBlobs.put(key(repo, digest('layer')), { linkedAt: 3 });
    await tables.manifests.put(key(repo, digest('m')), record);
    await tables.tags.put(key(repo, 'v1'), { digest: digest('m'), updatedAt: 5 });
    await tables.blobRefs.put(key(digest('layer'), repo, digest('m')), true);
    await tables.events.put(key(repo, '000000000000005', '000001'), { type: 'push', actor: 'a', at: 5, tag: 'v1' });

    const metadata = createLmdbRegistryMetadata(env.root);
    expect(await metadata.getRepository(repo)).toEqual({ createdAt: 1, immutableTags: true });
    expect(await metadata.resolve(repo, byTag('v1'))).toBe(digest('m'));
    expect((await metadata.getManifest(repo, digest('m')))?.blobs).toEqual([digest('layer')]);
    expect(await metadata.hasBlob(repo, digest('layer'))).toBe(true);
    expect(await metadata.referencingRepositories(digest('layer'))).toEqual([repo]);
    expect(await metadata.listEvents(repo, 5)).toEqual([{ type: 'push', actor: 'a', at: 5, tag: 'v1' }]);
    // And writes through the owner land under the same keys.
    await metadata.deleteTag(repo, 'v1', 'bob', 6).catch(() => undefined);
    expect(tables.tags.get(key(repo, 'v1'))).toBeDefined();
    await metadata.updateRepository(repo, { immutableTags: false }, 'bob', 7);
    expect(await metadata.deleteTag(repo, 'v1', 'bob', 8)).toEqual({ kind: 'deleted' });
    expect(tables.tags.get(key(repo, 'v1'))).toBeUndefined();
  });

  it('counts the repositories of a namespace for other owners, inside or outside a transaction', async () => {
    const metadata = createLmdbRegistryMetadata(env.root);
    for (const name of ['acme/a', 'acme/b', 'acme-x/c', 'acmes/d', 'acme0']) {
      await metadata.createRepository(name as RepoName, { createdAt: 1 }, 'admin');
    }
    expect(countRepositoriesInNamespace(env.root, 'acme')).toBe(2);
    expect(countRepositoriesInNamespace(env.root, 'nobody')).toBe(0);
    const inside = await env.root.transaction(() => countRepositoriesInNamespace(env.root, 'acme-x'));
    expect(inside).toBe(1);
  });

  it('removes the team grants on a deleted repository in the same transaction', async () => {
    const teamAccess = env.root.openDB<{ accessLevel: string }, string>({ name: 'teamAccess', encoding: 'msgpack' });
    await teamAccess.put(key('acme', 'devs', 'acme/app'), { accessLevel: 'read' });
    await teamAccess.put(key('acme', 'devs', 'acme/other'), { accessLevel: 'read' });
    const metadata = createLmdbRegistryMetadata(env.root);
    await metadata.createRepository('acme/app' as RepoName, { createdAt: 1 }, 'admin');
    await metadata.deleteRepository('acme/app');
    expect([...teamAccess.getKeys()]).toEqual([key('acme', 'devs', 'acme/other')]);
  });
});
