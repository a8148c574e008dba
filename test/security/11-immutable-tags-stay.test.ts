/**
 * Issue 9, item 11 family: immutable tags could be moved. Only a manifest PUT checked
 * `immutableTags`, so `DELETE /v2/<name>/manifests/<tag>` removed the tag (202) and a new PUT
 * then pointed it at another image; deleting the manifest by digest removed its tags with it.
 * Now both deletes are refused with 403 DENIED and remove nothing; deleting the whole
 * repository is still allowed to those with the right to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepoName } from '../../src/oci/reference.js';
import { expectOciError, pushImage, putManifest } from '../helpers/registry-http.js';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';

let main: TestMain;
beforeEach(async () => {
  main = await startTestMain();
});
afterEach(async () => {
  await main.stop();
});

const manifestUrl = (name: string, reference: string) => `${main.url}/v2/${name}/manifests/${reference}`;
const del = (name: string, reference: string) => fetch(manifestUrl(name, reference), { method: 'DELETE' });
const head = async (name: string, reference: string) =>
  (await fetch(manifestUrl(name, reference), { method: 'HEAD' })).status;
const makeImmutable = async (name: string) => {
  expect(await main.service.registryMetadata.updateRepository(name, { immutableTags: true }, 'admin', 1)).toBeDefined();
};

describe('DELETE /v2/<name>/manifests/<tag> in a repository with immutable tags', () => {
  it('answers 403 DENIED, keeps the tag, and a later PUT still cannot move it', async () => {
    const name = 'team/app';
    const { manifest } = await pushImage(main.url, name, 'v1');
    await makeImmutable(name);

    const entry = await expectOciError(await del(name, 'v1'), 403, 'DENIED');
    expect(entry.message).toMatch(/tag v1 is immutable in team\/app: it cannot be deleted/);
    expect(entry.message).toMatch(/deleting the whole repository/);
    expect(entry.detail).toMatchObject({ tag: 'v1', digest: manifest.digest });

    const res = await fetch(manifestUrl(name, 'v1'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
    const other = await pushImage(main.url, name);
    await expectOciError(await putManifest(main.url, name, 'v1', other.manifest), 403, 'DENIED');
    expect((await fetch(manifestUrl(name, 'v1'), { method: 'HEAD' })).headers.get('docker-content-digest')).toBe(
      manifest.digest,
    );
  });

  it('still answers 404 MANIFEST_UNKNOWN for a tag that does not exist', async () => {
    await pushImage(main.url, 'team/app', 'v1');
    await makeImmutable('team/app');
    await expectOciError(await del('team/app', 'nope'), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('DELETE /v2/<name>/manifests/<digest> in a repository with immutable tags', () => {
  it('answers 403 DENIED while a tag points at it, and removes neither the manifest nor any tag', async () => {
    const name = 'team/app';
    const { manifest } = await pushImage(main.url, name, 'v1');
    await fetch(manifestUrl(name, 'stable'), {
      method: 'PUT',
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
    });
    await makeImmutable(name);

    const entry = await expectOciError(await del(name, manifest.digest), 403, 'DENIED');
    expect(entry.message).toMatch(/2 tag\(s\) point to/);
    expect(entry.detail).toMatchObject({ digest: manifest.digest, tags: ['stable', 'v1'] });
    expect(await head(name, manifest.digest)).toBe(200);
    expect(await head(name, 'v1')).toBe(200);
    expect(await head(name, 'stable')).toBe(200);
  });

  it('deletes a manifest no tag points at (202)', async () => {
    const name = 'team/app';
    await pushImage(main.url, name, 'v1');
    const { manifest } = await pushImage(main.url, name);
    await makeImmutable(name);
    expect((await del(name, manifest.digest)).status).toBe(202);
    await expectOciError(await fetch(manifestUrl(name, manifest.digest)), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('deletes in a repository with mutable tags, and of a whole repository', () => {
  it('deletes a tag and a tagged manifest by digest (202) when tags are mutable', async () => {
    const name = 'team/app';
    const first = await pushImage(main.url, name, 'v1');
    const second = await pushImage(main.url, name, 'v2');
    expect((await del(name, 'v1')).status).toBe(202);
    await expectOciError(await fetch(manifestUrl(name, 'v1')), 404, 'MANIFEST_UNKNOWN');
    expect(await head(name, first.manifest.digest)).toBe(200);
    expect((await del(name, second.manifest.digest)).status).toBe(202);
    await expectOciError(await fetch(manifestUrl(name, 'v2')), 404, 'MANIFEST_UNKNOWN');
  });

  it('deletes a whole repository with immutable tags through /api/v0 (204), tags and all', async () => {
    const name = 'team/app';
    await pushImage(main.url, name, 'v1');
    await makeImmutable(name);
    const res = await fetch(`${main.url}/api/v0/repositories/${name}`, {
      method: 'DELETE',
      headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) },
    });
    expect(res.status, await res.text()).toBe(204);
    expect(await main.service.registryMetadata.getRepository(name)).toBeUndefined();
    expect(await main.service.registryMetadata.listTags(name as RepoName, { limit: 10 })).toEqual([]);
  });
});
