/**
 * Pushing and pulling manifests (distribution-spec "Pushing Manifests", "Pulling manifests"):
 * OCI image manifests and indexes, Docker schema 2 manifests and manifest lists, artifacts
 * with a subject. Refused manifests are in v2-manifests-invalid.test.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import {
  blobOf,
  configBlob,
  descriptor,
  imageManifest,
  indexManifest,
  randomBlob,
  sha256,
} from '../helpers/oci-fixtures.js';
import { expectOciError, jsonBlob, pushBlob, pushImage, pushManifest, putManifest } from '../helpers/registry-http.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const EMPTY_JSON = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

const manifestUrl = (name: string, reference: string) => `${main.url}/v2/${name}/manifests/${reference}`;

/** GET answers exactly the pushed bytes with the headers the spec asks for. */
async function expectServed(
  name: string,
  reference: string,
  manifest: { bytes: Buffer; digest: string; mediaType: string },
): Promise<void> {
  const res = await fetch(manifestUrl(name, reference));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(manifest.mediaType);
  expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
  expect(res.headers.get('content-length')).toBe(String(manifest.bytes.byteLength));
  expect(res.headers.get('etag')).toBe(`"${manifest.digest}"`);
  expect(Buffer.from(await res.arrayBuffer()).equals(manifest.bytes)).toBe(true);
}

describe('PUT /v2/<name>/manifests/<reference>', () => {
  it('stores an OCI image manifest by tag: 201 with Location by digest and Docker-Content-Digest', async () => {
    const layers = [randomBlob(100), randomBlob(200)];
    const manifest = imageManifest({ layers });
    for (const blob of [manifest.config, ...layers]) await pushBlob(main.url, 'put/oci', blob);
    const res = await putManifest(main.url, 'put/oci', 'v1', manifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/put/oci/manifests/${manifest.digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
    expect(res.headers.get('oci-subject')).toBeNull();
    await expectServed('put/oci', 'v1', manifest);
    await expectServed('put/oci', manifest.digest, manifest);
  });

  it('stores a manifest by digest without creating a tag', async () => {
    const { manifest } = await pushImage(main.url, 'put/bydigest');
    await expectServed('put/bydigest', manifest.digest, manifest);
    const tags = await fetch(`${main.url}/v2/put/bydigest/tags/list`);
    expect(await tags.json()).toEqual({ name: 'put/bydigest', tags: [] });
  });

  it('stores a manifest by a sha512 digest of its bytes', async () => {
    const layers = [randomBlob(10)];
    const manifest = imageManifest({ layers });
    for (const blob of [manifest.config, ...layers]) await pushBlob(main.url, 'put/sha512', blob);
    const digest = `sha512:${createHash('sha512').update(manifest.bytes).digest('hex')}`;
    const res = await putManifest(main.url, 'put/sha512', digest, manifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/put/sha512/manifests/${digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    await expectServed('put/sha512', digest, { ...manifest, digest });
  });

  it('keeps the exact bytes, whitespace included, so the digest stays verifiable', async () => {
    const config = configBlob();
    const layer = randomBlob(50);
    for (const blob of [config, layer]) await pushBlob(main.url, 'put/pretty', blob);
    const manifest = jsonBlob(
      { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: [descriptor(layer)] },
      OCI_MANIFEST,
      3,
    );
    await pushManifest(main.url, 'put/pretty', 'pretty', manifest);
    await expectServed('put/pretty', 'pretty', manifest);
    expect(sha256(manifest.bytes)).toBe(manifest.digest);
  });

  it('stores an OCI image index whose child manifests were pushed first', async () => {
    const amd64 = await pushImage(main.url, 'put/index', undefined, { config: configBlob('amd64') });
    const arm64 = await pushImage(main.url, 'put/index', undefined, { config: configBlob('arm64') });
    const index = indexManifest([
      { ...amd64.manifest, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64.manifest, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    const res = await putManifest(main.url, 'put/index', 'multi', index);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(index.digest);
    await expectServed('put/index', 'multi', index);
  });

  it('stores an index of indexes (nested)', async () => {
    const image = await pushImage(main.url, 'put/nested');
    const inner = indexManifest([image.manifest]);
    await pushManifest(main.url, 'put/nested', inner.digest, inner);
    const outer = indexManifest([inner]);
    await pushManifest(main.url, 'put/nested', 'outer', outer);
    await expectServed('put/nested', 'outer', outer);
  });

  it('stores a Docker schema 2 manifest and serves it with its Docker media type', async () => {
    const config = blobOf(
      Buffer.from('{"architecture":"amd64","os":"linux"}'),
      'application/vnd.docker.container.image.v1+json',
    );
    const layer = randomBlob(300, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    for (const blob of [config, layer]) await pushBlob(main.url, 'put/docker', blob);
    const manifest = imageManifest({ layers: [layer], config, mediaType: DOCKER_MANIFEST });
    const res = await putManifest(main.url, 'put/docker', 'latest', manifest);
    expect(res.status).toBe(201);
    await expectServed('put/docker', 'latest', { ...manifest, mediaType: DOCKER_MANIFEST });
  });

  it('stores a Docker manifest list of Docker manifests', async () => {
    const config = blobOf(
      Buffer.from('{"architecture":"arm64","os":"linux"}'),
      'application/vnd.docker.container.image.v1+json',
    );
    const layer = randomBlob(30, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    for (const blob of [config, layer]) await pushBlob(main.url, 'put/dockerlist', blob);
    const child = imageManifest({ layers: [layer], config, mediaType: DOCKER_MANIFEST });
    await pushManifest(main.url, 'put/dockerlist', child.digest, child);
    const list = indexManifest([{ ...child, platform: { architecture: 'arm64', os: 'linux' } }], DOCKER_LIST);
    const res = await putManifest(main.url, 'put/dockerlist', 'latest', list);
    expect(res.status).toBe(201);
    await expectServed('put/dockerlist', 'latest', list);
  });

  it('stores a Docker manifest with a foreign layer that was never pushed', async () => {
    const config = blobOf(Buffer.from('{"os":"windows"}'), 'application/vnd.docker.container.image.v1+json');
    await pushBlob(main.url, 'put/foreign', config);
    const foreign = randomBlob(100, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip');
    const manifest = imageManifest({ layers: [foreign], config, mediaType: DOCKER_MANIFEST });
    expect((await putManifest(main.url, 'put/foreign', 'win', manifest)).status).toBe(201);
  });

  it('stores an artifact with artifactType and subject, answering OCI-Subject with the subject digest', async () => {
    const subject = await pushImage(main.url, 'put/artifact', 'app');
    const sbom = randomBlob(120, 'application/spdx+json');
    for (const blob of [EMPTY_JSON, sbom]) await pushBlob(main.url, 'put/artifact', blob);
    const artifact = imageManifest({
      layers: [sbom],
      config: EMPTY_JSON,
      artifactType: 'application/vnd.example.sbom.v1',
      subject: subject.manifest,
    });
    const res = await putManifest(main.url, 'put/artifact', artifact.digest, artifact);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(subject.manifest.digest);
    await expectServed('put/artifact', artifact.digest, artifact);
  });

  it('accepts a subject that does not exist (yet) and still answers OCI-Subject', async () => {
    const absent = randomBlob(1, OCI_MANIFEST);
    await pushBlob(main.url, 'put/dangling', EMPTY_JSON);
    const artifact = imageManifest({
      layers: [],
      config: EMPTY_JSON,
      artifactType: 'application/vnd.example.sig',
      subject: absent,
    });
    const res = await putManifest(main.url, 'put/dangling', artifact.digest, artifact);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(absent.digest);
  });

  it('answers OCI-Subject for an index with a subject', async () => {
    const subject = await pushImage(main.url, 'put/indexsubject', 'base');
    const child = await pushImage(main.url, 'put/indexsubject');
    const index = jsonBlob(
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        artifactType: 'application/vnd.example.bundle',
        manifests: [descriptor(child.manifest)],
        subject: descriptor(subject.manifest),
      },
      OCI_INDEX,
    );
    const res = await putManifest(main.url, 'put/indexsubject', index.digest, index);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(subject.manifest.digest);
  });

  it('stores an image manifest without layers', async () => {
    await pushBlob(main.url, 'put/nolayers', EMPTY_JSON);
    const manifest = imageManifest({ layers: [], config: EMPTY_JSON });
    expect((await putManifest(main.url, 'put/nolayers', 'empty', manifest)).status).toBe(201);
    await expectServed('put/nolayers', 'empty', manifest);
  });

  it('takes the media type from the body when Content-Type is missing or plain JSON', async () => {
    const { manifest } = await pushImage(main.url, 'put/ctype', 'first');
    for (const contentType of [undefined, 'application/json']) {
      const res = await fetch(manifestUrl('put/ctype', 'again'), {
        method: 'PUT',
        body: manifest.bytes,
        ...(contentType && { headers: { 'Content-Type': contentType } }),
      });
      expect(res.status).toBe(201);
      await expectServed('put/ctype', 'again', manifest);
    }
  });

  it('accepts Content-Type parameters such as charset', async () => {
    const { manifest } = await pushImage(main.url, 'put/charset', 'first');
    expect(
      (await putManifest(main.url, 'put/charset', 'second', manifest, `${OCI_MANIFEST}; charset=utf-8`)).status,
    ).toBe(201);
  });

  it('moves a tag to the manifest pushed last, keeping the previous one by digest', async () => {
    const first = await pushImage(main.url, 'put/retag', 'latest');
    const second = await pushImage(main.url, 'put/retag', 'latest');
    await expectServed('put/retag', 'latest', second.manifest);
    await expectServed('put/retag', first.manifest.digest, first.manifest);
  });

  it('accepts the same manifest twice (idempotent)', async () => {
    const { manifest } = await pushImage(main.url, 'put/twice', 'a');
    const res = await putManifest(main.url, 'put/twice', 'a', manifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
  });

  it('accepts a manifest of exactly the 4 MiB limit', async () => {
    await pushBlob(main.url, 'put/limit', EMPTY_JSON);
    const base = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor(EMPTY_JSON),
      layers: [],
      annotations: { pad: '' },
    };
    const padding = 4 * 1024 * 1024 - Buffer.byteLength(JSON.stringify(base));
    const manifest = jsonBlob({ ...base, annotations: { pad: 'x'.repeat(padding) } }, OCI_MANIFEST);
    expect(manifest.size).toBe(4 * 1024 * 1024);
    expect((await putManifest(main.url, 'put/limit', 'big', manifest)).status).toBe(201);
    await expectServed('put/limit', 'big', manifest);
  });
});

describe('GET /v2/<name>/manifests/<reference>', () => {
  it('answers 404 MANIFEST_UNKNOWN for an unknown tag', async () => {
    await pushImage(main.url, 'get/known', 'v1');
    const error = await expectOciError(await fetch(manifestUrl('get/known', 'v2')), 404, 'MANIFEST_UNKNOWN');
    expect(error.detail).toEqual({ name: 'get/known', reference: 'v2' });
  });

  it('answers 404 MANIFEST_UNKNOWN for an unknown digest', async () => {
    const digest = sha256(Buffer.from('no manifest'));
    await expectOciError(await fetch(manifestUrl('get/known', digest)), 404, 'MANIFEST_UNKNOWN');
  });

  it('answers 404 MANIFEST_UNKNOWN in a repository that does not exist', async () => {
    await expectOciError(await fetch(manifestUrl('get/nowhere', 'latest')), 404, 'MANIFEST_UNKNOWN');
  });

  it('answers 404 MANIFEST_UNKNOWN for a manifest that only another repository holds', async () => {
    const { manifest } = await pushImage(main.url, 'get/owner', 'v1');
    await expectOciError(await fetch(manifestUrl('get/stranger', manifest.digest)), 404, 'MANIFEST_UNKNOWN');
  });

  // Spec: a reference that is not a valid tag or digest names no manifest (issue 9, conformance).
  it('answers 404 MANIFEST_UNKNOWN for a malformed digest reference', async () => {
    for (const reference of ['sha256:abc', 'sha256:' + 'G'.repeat(64), 'sha1:' + 'a'.repeat(40)]) {
      await expectOciError(await fetch(manifestUrl('get/known', reference)), 404, 'MANIFEST_UNKNOWN');
    }
  });

  it('answers 404 MANIFEST_UNKNOWN for a reference that is not a valid tag', async () => {
    for (const reference of ['-lead', '.dot', 't'.repeat(129)]) {
      await expectOciError(await fetch(manifestUrl('get/known', reference)), 404, 'MANIFEST_UNKNOWN');
    }
  });
});

describe('HEAD /v2/<name>/manifests/<reference>', () => {
  it('answers 200 with the headers of GET and no body, by tag and by digest', async () => {
    const { manifest } = await pushImage(main.url, 'head/image', 'v1');
    for (const reference of ['v1', manifest.digest]) {
      const res = await fetch(manifestUrl('head/image', reference), { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
      expect(res.headers.get('content-length')).toBe(String(manifest.size));
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect(await res.text()).toBe('');
    }
  });

  it('answers 404 without a body for an unknown manifest', async () => {
    const res = await fetch(manifestUrl('head/image', 'missing'), { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });
});
