/**
 * Issue 9, item 11: every "all or nothing" write of main is really all or nothing.
 *
 * lmdb-js `transaction()` commits what its callback wrote before it threw, so a refused
 * immutable-tag push kept its manifest (and that manifest kept its layers from the collector).
 * Main's transactions now roll back on a throw (`writeAtomically`, src/store/lmdb.ts). Each
 * write path below is proved by making one of its later writes fail (a sub-database whose write
 * throws, on a real LMDB) and checking that its earlier writes did not stay.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMainEnvironment, type MainEnvironment } from '../../main/metadata/lmdb/environment.js';
import { createLmdbRegistryMetadata, type LmdbRegistryMetadata } from '../../main/metadata/lmdb/registry.js';
import { openRegistryTables, type RegistryTables } from '../../main/metadata/lmdb/registry-tables.js';
import { openAccountsDb, type AccountsDb } from '../../main/accounts/accounts-db.js';
import { createAccounts } from '../../main/accounts/accounts.js';
import {
  createLmdbAccountStore,
  lmdbCredentialRevoker,
  removeRepositoryGrants,
} from '../../main/metadata/lmdb/accounts.js';
import { openAccountTables, type AccountTables } from '../../main/metadata/lmdb/account-tables.js';
import { createLmdbSettingsStore } from '../../main/metadata/lmdb/settings.js';
import { lmdbAccounts } from '../helpers/lmdb-accounts.js';
import { createAccessControl } from '../../main/accounts/access-control.js';
import { createRepositories } from '../../main/accounts/repositories.js';
import { createManifests } from '../../main/registry/manifests.js';
import { createRepositoryBlobs } from '../../main/registry/repository-blobs.js';
import { collectGarbage } from '../../main/registry/gc.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { writeAtomically, type Database } from '../../src/store/lmdb.js';
import { silentLogger } from '../../src/log/logger.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { Digest } from '../../src/oci/digest.js';
import { parseReference } from '../../src/oci/reference.js';
import { configBlob, imageManifest, randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, putManifest } from '../helpers/registry-http.js';
import { openBlobFiles } from '../helpers/blob-files.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * `sub` whose `method` throws after `succeeding` calls went through, as a full disk or a bug in
 * the middle of a transaction would.
 */
function failing<V>(sub: Database<V, string>, method: 'put' | 'remove', succeeding = 0): Database<V, string> {
  let calls = 0;
  return new Proxy(sub, {
    get(target, property) {
      if (property === method && calls++ >= succeeding) {
        return () => {
          throw new Error(`injected failure of ${method}`);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('PUT /v2/<name>/manifests/<tag> onto an immutable tag', () => {
  let main: TestMain;
  beforeEach(async () => {
    main = await startTestMain();
  });
  afterEach(async () => {
    await main.stop();
  });

  it('answers 403 DENIED and stores nothing, so the refused layers stay collectable', async () => {
    const name = 'team/app';
    await pushImage(main.url, name, 'v1');
    const metadata = main.service.registryMetadata;
    const { store } = await openBlobFiles(main.dataDir);
    await metadata.updateRepository(name, { immutableTags: true }, 'admin', Date.now());

    const layer = randomBlob(700);
    const config = configBlob('arm64');
    await pushBlob(main.url, name, layer);
    await pushBlob(main.url, name, config);
    const refused = imageManifest({ config, layers: [layer] });
    const entry = await expectOciError(await putManifest(main.url, name, 'v1', refused), 403, 'DENIED');
    expect(entry.message).toMatch(/tag v1 is immutable/);

    await expectOciError(await fetch(`${main.url}/v2/${name}/manifests/${refused.digest}`), 404, 'MANIFEST_UNKNOWN');
    expect(await metadata.referencingRepositories(layer.digest as Digest)).toEqual([]);
    const now = () => Date.now() + 1;
    const gc = await collectGarbage({ metadata, store, now, graceMs: 0, logger: silentLogger });
    expect(gc.removed).toBe(2);
    await expectOciError(await fetch(`${main.url}/v2/${name}/blobs/${layer.digest}`), 404, 'BLOB_UNKNOWN');
    // The tag still points where it did, and a new tag is the legitimate way to push.
    expect((await fetch(`${main.url}/v2/${name}/manifests/v1`, { method: 'HEAD' })).status).toBe(200);
    await pushImage(main.url, name, 'v2');
  });
});

describe('main transactions with a write that fails half-way', () => {
  let temp: TempDir;
  let env: MainEnvironment;
  let tables: RegistryTables;
  let metadata: LmdbRegistryMetadata;
  let accountsDb: AccountsDb;
  const admin = { kind: 'user', name: 'admin', isAdmin: true } as const;
  const repo = 'org/app' as RepoName;

  beforeEach(async () => {
    temp = await createTempDir('outpost-atomic-');
    env = openMainEnvironment(join(temp.path, 'db'));
    tables = openRegistryTables(env.root);
    metadata = createLmdbRegistryMetadata(env.root, { onRepositoryDeleted });
    accountsDb = openAccountsDb(env.root);
    const accounts = lmdbAccounts(env.root);
    await accounts.createUser({ name: 'bob', password: 'bob-password1' });
    await accounts.createOrg({ name: 'org' });
    await accounts.createTeam('org', 'devs');
    await accounts.addTeamMember('org', 'devs', 'bob');
    await accounts.setTeamAccess('org', 'devs', repo, 'read');
  });
  afterEach(async () => {
    await env.close();
    await temp.remove();
  });

  // As main/service.ts wires it: a repository's grants go with it.
  const onRepositoryDeleted = (name: string) => void removeRepositoryGrants(env.root, name);
  /** The registry metadata over the same environment, with some tables replaced. */
  const metadataWith = (replaced: Partial<RegistryTables>) =>
    createLmdbRegistryMetadata(env.root, { tables: { ...tables, ...replaced }, onRepositoryDeleted });

  it('writeAtomically rolls back what the callback wrote before it threw', async () => {
    await expect(
      writeAtomically(env.root, () => {
        void tables.tags.put('t', { digest: 'sha256:00' as never, updatedAt: 1 });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(tables.tags.get('t')).toBeUndefined();
    await writeAtomically(env.root, () => tables.tags.put('t', { digest: 'sha256:00' as never, updatedAt: 1 }));
    expect(tables.tags.get('t')).toEqual({ digest: 'sha256:00', updatedAt: 1 });
  });

  it('AccountsDb.transaction rolls back what the callback wrote before it threw', async () => {
    await expect(
      accountsDb.transaction(() => {
        accountsDb.settings.put('meta', { createRepositoryOnPush: false, anonymousPull: false });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(accountsDb.settings.get('meta')).toBeUndefined();
  });

  it('a manifest delete by digest keeps the manifest when removing its tags fails', async () => {
    const store = await FsBlobStore.create(temp.path);
    const config = configBlob();
    const blobs = createRepositoryBlobs({ metadata, store, now: Date.now });
    await blobs.commit(repo, await store.stage(Readable.from([config.bytes]), { digest: config.digest as Digest }));
    const manifests = createManifests({ metadata, now: Date.now, maxManifestBytes: 1 << 20 });
    const manifest = imageManifest({ config, layers: [] });
    const { digest } = await manifests.put(repo, parseReference('v1'), manifest.bytes, manifest.mediaType, 'admin');

    const brokenMetadata = metadataWith({ tags: failing(tables.tags, 'remove') });
    const broken = createManifests({ metadata: brokenMetadata, now: Date.now, maxManifestBytes: 1 << 20 });
    await expect(broken.delete(repo, parseReference(digest), 'admin')).rejects.toThrow('injected');
    expect((await manifests.get(repo, parseReference(digest))).digest).toBe(digest);
    expect([...tables.blobRefs.getKeys()]).toHaveLength(1);
    expect((await metadata.listEvents(repo, 10)).map((event) => event.type)).toEqual(['push']);
    await manifests.delete(repo, parseReference(digest), 'admin');
    expect(await manifests.resolve(repo, parseReference('v1'))).toBeUndefined();
  });

  /** Accounts whose LMDB store writes through `tables` (one of them failing). */
  function accountsWith(tables: AccountTables) {
    const store = createLmdbAccountStore(env.root, undefined, tables);
    return createAccounts(store, { revokeCredentials: lmdbCredentialRevoker(env.root) });
  }

  function repositoriesOver(meta: LmdbRegistryMetadata) {
    const accounts = createLmdbAccountStore(env.root);
    const accessControl = createAccessControl(
      (name) => meta.getRepository(name),
      accounts,
      createLmdbSettingsStore(env.root),
    );
    return createRepositories({ metadata: meta, accounts, accessControl, now: Date.now });
  }

  it('a repository create leaves no repository when writing its event fails', async () => {
    const broken = repositoriesOver(metadataWith({ events: failing(tables.events, 'put') }));
    await expect(broken.create(admin, 'org', { name: 'app' })).rejects.toThrow('injected');
    expect(await metadata.getRepository(repo)).toBeUndefined();
    await repositoriesOver(metadata).create(admin, 'org', { name: 'app' });
    expect(await metadata.getRepository(repo)).toBeDefined();
  });

  it('a push that moves a tag keeps the old tag, stores no manifest and no event when its last event fails', async () => {
    const store = await FsBlobStore.create(temp.path);
    const blobs = createRepositoryBlobs({ metadata, store, now: Date.now });
    const [first, second] = [configBlob('amd64'), configBlob('arm64')];
    for (const config of [first, second]) {
      await blobs.commit(repo, await store.stage(Readable.from([config.bytes]), { digest: config.digest as Digest }));
    }
    const manifests = createManifests({ metadata, now: Date.now, maxManifestBytes: 1 << 20 });
    const [a, b] = [imageManifest({ config: first, layers: [] }), imageManifest({ config: second, layers: [] })];
    await manifests.put(repo, parseReference('v1'), a.bytes, a.mediaType, 'admin');

    // The move writes two events (push, tag): the second one fails.
    const brokenMetadata = metadataWith({ events: failing(tables.events, 'put', 1) });
    const broken = createManifests({ metadata: brokenMetadata, now: Date.now, maxManifestBytes: 1 << 20 });
    await expect(broken.put(repo, parseReference('v1'), b.bytes, b.mediaType, 'admin')).rejects.toThrow('injected');
    expect(await manifests.resolve(repo, parseReference('v1'))).toBe(a.digest);
    expect(await metadata.getManifest(repo, b.digest as Digest)).toBeUndefined();
    expect((await metadata.listEvents(repo, 10)).map((event) => event.type)).toEqual(['push']);

    await manifests.put(repo, parseReference('v1'), b.bytes, b.mediaType, 'admin');
    expect((await metadata.listEvents(repo, 10)).map((event) => event.type)).toEqual(['tag', 'push', 'push']);
  });

  it('a repository delete keeps tags, manifests and grants when its last write fails', async () => {
    await tables.repositories.put(repo, { createdAt: 1 });
    await tables.tags.put(`${repo}\u0005v1`, { digest: 'sha256:00' as never, updatedAt: 1 });
    const broken = repositoriesOver(metadataWith({ repositories: failing(tables.repositories, 'remove') }));
    await expect(broken.delete(admin, repo)).rejects.toThrow('injected');
    expect([...tables.tags.getKeys()]).toHaveLength(1);
    expect([...accountsDb.teamAccess.getKeys()]).toHaveLength(1);
    await repositoriesOver(metadata).delete(admin, repo);
    expect([...tables.tags.getKeys()]).toHaveLength(0);
    expect([...accountsDb.teamAccess.getKeys()]).toHaveLength(0);
  });

  it('removing a user, an organization, a member or a team is all or nothing', async () => {
    const tables = openAccountTables(env.root);
    const broken = accountsWith({ ...tables, teamMembers: failing(tables.teamMembers, 'remove') });
    await expect(broken.removeUser('bob')).rejects.toThrow('injected');
    expect(await broken.getUser('bob')).toBeDefined();
    await expect(broken.removeOrgMember('org', 'bob')).rejects.toThrow('injected');
    expect((await broken.listOrgMembers('org')).map((m) => m.name)).toEqual(['bob']);
    await expect(broken.removeTeam('org', 'devs')).rejects.toThrow('injected');
    expect((await broken.listTeams('org')).map((t) => t.name)).toEqual(['devs']);
    await expect(broken.removeOrg('org')).rejects.toThrow('injected');
    expect(await broken.getOrg('org')).toBeDefined();

    const accounts = lmdbAccounts(env.root);
    await accounts.removeUser('bob');
    expect(await accounts.getUser('bob')).toBeUndefined();
    expect(await accounts.listTeamMembers('org', 'devs')).toEqual([]);
  });

  it('adding a team member adds no organization membership when the team write fails', async () => {
    const accounts = lmdbAccounts(env.root);
    await accounts.createUser({ name: 'carol', password: 'carol-password1' });
    const tables = openAccountTables(env.root);
    const broken = accountsWith({ ...tables, teamMembers: failing(tables.teamMembers, 'put') });
    await expect(broken.addTeamMember('org', 'devs', 'carol')).rejects.toThrow('injected');
    expect((await accounts.listOrgMembers('org')).map((m) => m.name)).toEqual(['bob']);
    await accounts.addTeamMember('org', 'devs', 'carol');
    expect(await accounts.listTeamMembers('org', 'devs')).toEqual(['bob', 'carol']);
  });

  it('an upload commit whose file cannot be linked leaves no index entry naming the blob', async () => {
    const store = await FsBlobStore.create(temp.path);
    const full: BlobStore = Object.assign(Object.create(store) as FsBlobStore, {
      commit: async () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    });
    const layer = randomBlob(300);
    const digest = layer.digest as Digest;
    const staged = await store.stage(Readable.from([layer.bytes]), { digest: layer.digest as Digest });
    const onFullDisk = createRepositoryBlobs({ metadata, store: full, now: Date.now });
    await expect(onFullDisk.commit(repo, staged)).rejects.toMatchObject({ code: 'ENOSPC' });
    const blobs = createRepositoryBlobs({ metadata, store, now: Date.now });
    expect(await blobs.has(repo, digest)).toBe(false);
    expect(await metadata.getBlob(digest)).toBeUndefined();
    await blobs.commit(repo, staged);
    expect(await blobs.stat(repo, digest)).toEqual({ size: 300 });
  });

  it('a whole-blob push whose commit fails keeps neither an index entry nor its staged bytes', async () => {
    const store = await FsBlobStore.create(temp.path);
    const full: BlobStore = Object.assign(Object.create(store) as FsBlobStore, {
      commit: async () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    });
    const layer = randomBlob(400);
    const digest = layer.digest as Digest;
    const onFullDisk = createRepositoryBlobs({ metadata, store: full, now: Date.now });
    await expect(onFullDisk.ingest(repo, Readable.from([layer.bytes]), { digest })).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(await metadata.getBlob(digest)).toBeUndefined();
    expect(await store.removeTemporaryFiles()).toBe(0);
    const blobs = createRepositoryBlobs({ metadata, store, now: Date.now });
    await blobs.ingest(repo, Readable.from([layer.bytes]), { digest });
    expect(await blobs.stat(repo, digest)).toEqual({ size: 400 });
    expect(await store.removeTemporaryFiles()).toBe(0);
  });
});
