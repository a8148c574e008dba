/**
 * Content management (distribution-spec "Deleting tags", "Deleting Manifests", "Deleting
 * Blobs"), and a registry started with deletes turned off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { indexManifest, randomBlob, sha256 } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, pushManifest, startUpload } from '../helpers/registry-http.js';

let main: TestMain;
let readOnly: TestMain;
beforeAll(async () => {
  main = await startTestMain();
  readOnly = await startTestMain({ env: { OUTPOST_MAIN_STORAGE__DELETE_ENABLED: 'false' } });
});
afterAll(async () => {
  await main.stop();
  await readOnly.stop();
});

const manifestUrl = (base: string, name: string, reference: string) => `${base}/v2/${name}/manifests/${reference}`;
const blobUrl = (base: string, name: string, digest: string) => `${base}/v2/${name}/blobs/${digest}`;
const del = (url: string) => fetch(url, { method: 'DELETE' });
const tagsOf = async (name: string) =>
  ((await (await fetch(`${main.url}/v2/${name}/tags/list`)).json()) as { tags: string[] }).tags;

describe('DELETE /v2/<name>/manifests/<digest>', () => {
  it('answers 202 and the manifest is gone by digest and by every tag that named it', async () => {
    const { manifest } = await pushImage(main.url, 'del/bydigest', 'v1');
    await pushManifest(main.url, 'del/bydigest', 'latest', manifest);
    const other = await pushImage(main.url, 'del/bydigest', 'keep');
    const res = await del(manifestUrl(main.url, 'del/bydigest', manifest.digest));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    await expectOciError(await fetch(manifestUrl(main.url, 'del/bydigest', manifest.digest)), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(manifestUrl(main.url, 'del/bydigest', 'v1')), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(manifestUrl(main.url, 'del/bydigest', 'latest')), 404, 'MANIFEST_UNKNOWN');
    expect(await tagsOf('del/bydigest')).toEqual(['keep']);
    expect((await fetch(manifestUrl(main.url, 'del/bydigest', other.manifest.digest))).status).toBe(200);
  });

  it('removes long tags of the manifest as well: they do not come back when it is pushed again by digest', async () => {
    const { manifest } = await pushImage(main.url, 'del/longtags', 'short');
    const long = 'l'.repeat(120);
    await pushManifest(main.url, 'del/longtags', long, manifest);
    expect((await del(manifestUrl(main.url, 'del/longtags', manifest.digest))).status).toBe(202);
    await pushManifest(main.url, 'del/longtags', manifest.digest, manifest);
    expect(await tagsOf('del/longtags')).toEqual([]);
    await expectOciError(await fetch(manifestUrl(main.url, 'del/longtags', long)), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(manifestUrl(main.url, 'del/longtags', 'short')), 404, 'MANIFEST_UNKNOWN');
  });

  it('leaves the layers and config of the deleted manifest in the repository', async () => {
    const { manifest, layers } = await pushImage(main.url, 'del/keepblobs', 'v1');
    expect((await del(manifestUrl(main.url, 'del/keepblobs', manifest.digest))).status).toBe(202);
    for (const blob of [manifest.config, ...layers]) {
      expect((await fetch(blobUrl(main.url, 'del/keepblobs', blob.digest), { method: 'HEAD' })).status).toBe(200);
    }
  });

  it('leaves the same manifest in other repositories', async () => {
    const shared = await pushImage(main.url, 'del/mine', 'v1');
    await pushImage(main.url, 'del/theirs', 'v1', { layers: shared.layers, config: shared.manifest.config });
    expect((await del(manifestUrl(main.url, 'del/mine', shared.manifest.digest))).status).toBe(202);
    expect((await fetch(manifestUrl(main.url, 'del/theirs', 'v1'))).status).toBe(200);
  });

  it('deletes an index without deleting its child manifests', async () => {
    const child = await pushImage(main.url, 'del/index');
    const index = indexManifest([child.manifest]);
    await pushManifest(main.url, 'del/index', 'multi', index);
    expect((await del(manifestUrl(main.url, 'del/index', index.digest))).status).toBe(202);
    expect((await fetch(manifestUrl(main.url, 'del/index', child.manifest.digest))).status).toBe(200);
  });

  it('answers 404 MANIFEST_UNKNOWN when the manifest was already deleted', async () => {
    const { manifest } = await pushImage(main.url, 'del/twice');
    expect((await del(manifestUrl(main.url, 'del/twice', manifest.digest))).status).toBe(202);
    const error = await expectOciError(
      await del(manifestUrl(main.url, 'del/twice', manifest.digest)),
      404,
      'MANIFEST_UNKNOWN',
    );
    expect(error.detail).toEqual({ name: 'del/twice', reference: manifest.digest });
  });

  it('answers 404 MANIFEST_UNKNOWN in a repository that does not exist', async () => {
    await expectOciError(
      await del(manifestUrl(main.url, 'del/nowhere', sha256(Buffer.from('m')))),
      404,
      'MANIFEST_UNKNOWN',
    );
  });

  it('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    await expectOciError(await del(manifestUrl(main.url, 'del/bydigest', 'sha256:0123')), 400, 'DIGEST_INVALID');
  });

  it('lets the same manifest be pushed again afterwards', async () => {
    const { manifest } = await pushImage(main.url, 'del/again', 'v1');
    expect((await del(manifestUrl(main.url, 'del/again', manifest.digest))).status).toBe(202);
    await pushManifest(main.url, 'del/again', 'v1', manifest);
    expect((await fetch(manifestUrl(main.url, 'del/again', 'v1'))).status).toBe(200);
  });
});

describe('DELETE /v2/<name>/manifests/<tag>', () => {
  it('answers 202 and removes only the tag: the manifest and its other tags stay', async () => {
    const { manifest } = await pushImage(main.url, 'del/tag', 'v1');
    await pushManifest(main.url, 'del/tag', 'stable', manifest);
    const res = await del(manifestUrl(main.url, 'del/tag', 'v1'));
    expect(res.status).toBe(202);
    await expectOciError(await fetch(manifestUrl(main.url, 'del/tag', 'v1')), 404, 'MANIFEST_UNKNOWN');
    expect((await fetch(manifestUrl(main.url, 'del/tag', manifest.digest))).status).toBe(200);
    expect((await fetch(manifestUrl(main.url, 'del/tag', 'stable'))).status).toBe(200);
    expect(await tagsOf('del/tag')).toEqual(['stable']);
  });

  it('answers 404 MANIFEST_UNKNOWN for a tag that does not exist', async () => {
    const error = await expectOciError(await del(manifestUrl(main.url, 'del/tag', 'never')), 404, 'MANIFEST_UNKNOWN');
    expect(error.detail).toEqual({ name: 'del/tag', reference: 'never' });
  });

  it('answers 400 MANIFEST_INVALID for a reference that is not a valid tag', async () => {
    await expectOciError(await del(manifestUrl(main.url, 'del/tag', '-x')), 400, 'MANIFEST_INVALID');
  });
});

describe('DELETE /v2/<name>/blobs/<digest>', () => {
  it('answers 202 and the blob is no longer served from the repository', async () => {
    const blob = randomBlob(256);
    await pushBlob(main.url, 'del/blob', blob);
    const res = await del(blobUrl(main.url, 'del/blob', blob.digest));
    expect(res.status).toBe(202);
    await expectOciError(await fetch(blobUrl(main.url, 'del/blob', blob.digest)), 404, 'BLOB_UNKNOWN');
    expect((await fetch(blobUrl(main.url, 'del/blob', blob.digest), { method: 'HEAD' })).status).toBe(404);
  });

  it('keeps serving the blob from other repositories that hold it', async () => {
    const blob = randomBlob(64);
    await pushBlob(main.url, 'del/blob-a', blob);
    await pushBlob(main.url, 'del/blob-b', blob);
    expect((await del(blobUrl(main.url, 'del/blob-a', blob.digest))).status).toBe(202);
    const res = await fetch(blobUrl(main.url, 'del/blob-b', blob.digest));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('refuses a manifest that needs the deleted blob: 404 MANIFEST_BLOB_UNKNOWN', async () => {
    const layer = randomBlob(32);
    const { manifest } = await pushImage(main.url, 'del/needed', 'v1', { layers: [layer] });
    expect((await del(blobUrl(main.url, 'del/needed', layer.digest))).status).toBe(202);
    const again = await fetch(manifestUrl(main.url, 'del/needed', 'v2'), {
      method: 'PUT',
      body: manifest.bytes,
      headers: { 'Content-Type': manifest.mediaType },
    });
    await expectOciError(again, 404, 'MANIFEST_BLOB_UNKNOWN');
  });

  it('accepts the same blob pushed again afterwards', async () => {
    const blob = randomBlob(100);
    await pushBlob(main.url, 'del/repush', blob);
    expect((await del(blobUrl(main.url, 'del/repush', blob.digest))).status).toBe(202);
    await pushBlob(main.url, 'del/repush', blob);
    expect((await fetch(blobUrl(main.url, 'del/repush', blob.digest))).status).toBe(200);
  });

  it('answers 404 BLOB_UNKNOWN for a blob the repository does not hold, or no longer holds', async () => {
    const blob = randomBlob(16);
    await pushBlob(main.url, 'del/blobtwice', blob);
    expect((await del(blobUrl(main.url, 'del/blobtwice', blob.digest))).status).toBe(202);
    const error = await expectOciError(await del(blobUrl(main.url, 'del/blobtwice', blob.digest)), 404, 'BLOB_UNKNOWN');
    expect(error.detail).toEqual({ digest: blob.digest });
    await expectOciError(
      await del(blobUrl(main.url, 'del/blobtwice', sha256(Buffer.from('never')))),
      404,
      'BLOB_UNKNOWN',
    );
  });

  it('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    await expectOciError(await del(blobUrl(main.url, 'del/blob', 'sha256:xyz')), 400, 'DIGEST_INVALID');
  });
});

describe('DELETE with storage.deleteEnabled=false', () => {
  it('answers 405 UNSUPPORTED for a manifest by digest and keeps it', async () => {
    const { manifest } = await pushImage(readOnly.url, 'ro/app', 'v1');
    await expectOciError(await del(manifestUrl(readOnly.url, 'ro/app', manifest.digest)), 405, 'UNSUPPORTED');
    expect((await fetch(manifestUrl(readOnly.url, 'ro/app', manifest.digest))).status).toBe(200);
  });

  it('answers 405 UNSUPPORTED for a tag and keeps it', async () => {
    await pushImage(readOnly.url, 'ro/tag', 'v1');
    await expectOciError(await del(manifestUrl(readOnly.url, 'ro/tag', 'v1')), 405, 'UNSUPPORTED');
    expect((await fetch(manifestUrl(readOnly.url, 'ro/tag', 'v1'))).status).toBe(200);
  });

  it('answers 405 UNSUPPORTED for a blob and keeps serving it', async () => {
    const blob = randomBlob(50);
    await pushBlob(readOnly.url, 'ro/blob', blob);
    await expectOciError(await del(blobUrl(readOnly.url, 'ro/blob', blob.digest)), 405, 'UNSUPPORTED');
    expect((await fetch(blobUrl(readOnly.url, 'ro/blob', blob.digest))).status).toBe(200);
  });

  it('still validates the request first: 400 DIGEST_INVALID, 400 NAME_INVALID', async () => {
    await expectOciError(await del(blobUrl(readOnly.url, 'ro/blob', 'sha256:1')), 400, 'DIGEST_INVALID');
    await expectOciError(await del(manifestUrl(readOnly.url, 'RO/app', 'v1')), 400, 'NAME_INVALID');
  });

  it('still lets a client cancel its own upload (204)', async () => {
    const session = await startUpload(readOnly.url, 'ro/upload');
    expect((await del(session.url)).status).toBe(204);
    await expectOciError(await fetch(session.url), 404, 'BLOB_UPLOAD_UNKNOWN');
  });
});
