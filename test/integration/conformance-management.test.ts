/**
 * OCI distribution-spec v1.1 conformance, "Content Management" workflow category, written
 * from the spec's text ("Deleting tags", "Deleting Manifests", "Deleting Blobs"). Main allows
 * deletes by default, so the strict answers (202, then 404) are asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { configBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushImage, pushManifest, type PushedImage } from '../helpers/registry-http.js';

const NAME = 'conformance/management';

let main: TestMain;
let image: PushedImage;
let tagged: PushedImage;
let tagsBefore: string[];

beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

const at = (path: string) => `${main.url}${path}`;
const listTags = async () => {
  const res = await fetch(at(`/v2/${NAME}/tags/list`));
  expect(res.status).toBe(200);
  return ((await res.json()) as { tags: string[] }).tags;
};

describe('Content management: setup', () => {
  it('pushes an image by digest and another under tags', async () => {
    image = await pushImage(main.url, NAME);
    tagged = await pushImage(main.url, NAME, 'tagtest0', { config: configBlob('arm64') });
    await pushManifest(main.url, NAME, 'keep', tagged.manifest);
    tagsBefore = await listTags();
    expect(tagsBefore).toEqual(['keep', 'tagtest0']);
  });
});

describe('Content management: manifest delete', () => {
  it('DELETE of a tag answers 202', async () => {
    expect((await fetch(at(`/v2/${NAME}/manifests/tagtest0`), { method: 'DELETE' })).status).toBe(202);
  });

  it('the tag list no longer has the deleted tag, and the manifest stays by digest', async () => {
    expect(await listTags()).toEqual(tagsBefore.filter((t) => t !== 'tagtest0'));
    expect((await fetch(at(`/v2/${NAME}/manifests/${tagged.manifest.digest}`))).status).toBe(200);
  });

  it('DELETE of a manifest by digest answers 202', async () => {
    expect((await fetch(at(`/v2/${NAME}/manifests/${image.manifest.digest}`), { method: 'DELETE' })).status).toBe(202);
  });

  it('GET of the deleted manifest answers 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await fetch(at(`/v2/${NAME}/manifests/${image.manifest.digest}`)), 404, 'MANIFEST_UNKNOWN');
  });

  it('DELETE of a tagged manifest by digest removes its remaining tags from the list', async () => {
    expect((await fetch(at(`/v2/${NAME}/manifests/${tagged.manifest.digest}`), { method: 'DELETE' })).status).toBe(202);
    expect(await listTags()).toEqual([]);
    await expectOciError(await fetch(at(`/v2/${NAME}/manifests/keep`)), 404, 'MANIFEST_UNKNOWN');
  });

  it('DELETE of the manifest again answers 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(
      await fetch(at(`/v2/${NAME}/manifests/${image.manifest.digest}`), { method: 'DELETE' }),
      404,
      'MANIFEST_UNKNOWN',
    );
  });
});

describe('Content management: blob delete', () => {
  it('DELETE of the config blob answers 202', async () => {
    expect((await fetch(at(`/v2/${NAME}/blobs/${image.manifest.config.digest}`), { method: 'DELETE' })).status).toBe(
      202,
    );
  });

  it('DELETE of each layer answers 202', async () => {
    for (const layer of image.layers) {
      expect((await fetch(at(`/v2/${NAME}/blobs/${layer.digest}`), { method: 'DELETE' })).status).toBe(202);
    }
  });

  it('GET of a deleted blob answers 404 BLOB_UNKNOWN', async () => {
    for (const blob of [image.manifest.config, ...image.layers]) {
      await expectOciError(await fetch(at(`/v2/${NAME}/blobs/${blob.digest}`)), 404, 'BLOB_UNKNOWN');
    }
  });

  it('the blobs of the other image are still served', async () => {
    for (const blob of [tagged.manifest.config, ...tagged.layers]) {
      expect((await fetch(at(`/v2/${NAME}/blobs/${blob.digest}`), { method: 'HEAD' })).status).toBe(200);
    }
  });
});
