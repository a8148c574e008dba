/**
 * OCI distribution-spec v1.1 conformance, "Pull" workflow category, written from the spec's
 * text ("Determining support", "Pulling manifests", "Pulling blobs"): what a client pulling an
 * image, single- or multi-platform, OCI or Docker, relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { blobOf, configBlob, imageManifest, indexManifest, randomBlob, sha256 } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, pushManifest, type PushedImage } from '../helpers/registry-http.js';

const NAME = 'conformance/pull';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const ACCEPT_ALL = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(', ');

let main: TestMain;
let amd64: PushedImage;
let arm64: PushedImage;
const index = () =>
  indexManifest([
    { ...amd64.manifest, platform: { architecture: 'amd64', os: 'linux' } },
    { ...arm64.manifest, platform: { architecture: 'arm64', os: 'linux' } },
  ]);

beforeAll(async () => {
  main = await startTestMain();
  amd64 = await pushImage(main.url, NAME, 'amd64', { config: configBlob('amd64') });
  arm64 = await pushImage(main.url, NAME, 'arm64', { config: configBlob('arm64') });
  await pushManifest(main.url, NAME, 'multi', index());
});
afterAll(async () => {
  await main.stop();
});

const at = (path: string) => `${main.url}${path}`;

describe('Pull: determining support', () => {
  it('GET /v2/ answers 200 with Docker-Distribution-API-Version registry/2.0', async () => {
    const res = await fetch(at('/v2/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
});

describe('Pull: manifests', () => {
  it('HEAD of the manifest by tag answers 200 with the digest to pull by', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/amd64`), { method: 'HEAD', headers: { Accept: ACCEPT_ALL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(amd64.manifest.digest);
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
  });

  it('HEAD of the manifest by digest answers 200', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/${amd64.manifest.digest}`), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(amd64.manifest.size));
  });

  it('GET of the manifest by tag answers 200 with bytes that hash to Docker-Content-Digest', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/amd64`), { headers: { Accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(res.headers.get('docker-content-digest'));
    expect(bytes.equals(amd64.manifest.bytes)).toBe(true);
  });

  it('GET of the manifest by digest answers 200', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/${amd64.manifest.digest}`), {
      headers: { Accept: OCI_MANIFEST },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
  });

  it('a multi-platform pull: the index by tag, then the chosen platform by digest', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/multi`), { headers: { Accept: ACCEPT_ALL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_INDEX);
    const body = (await res.json()) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
    const chosen = body.manifests.find((m) => m.platform.architecture === 'arm64')!;
    expect(chosen.digest).toBe(arm64.manifest.digest);
    const child = await fetch(at(`/v2/${NAME}/manifests/${chosen.digest}`));
    expect(child.status).toBe(200);
    expect(sha256(Buffer.from(await child.arrayBuffer()))).toBe(chosen.digest);
  });

  it('a Docker pull: schema 2 manifest list and manifest keep their Docker media types', async () => {
    const config = blobOf(
      Buffer.from('{"architecture":"amd64","os":"linux"}'),
      'application/vnd.docker.container.image.v1+json',
    );
    const layer = randomBlob(200, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    for (const blob of [config, layer]) await pushBlob(main.url, NAME, blob);
    const manifest = imageManifest({ layers: [layer], config, mediaType: DOCKER_MANIFEST });
    await pushManifest(main.url, NAME, manifest.digest, manifest);
    const list = indexManifest([{ ...manifest, platform: { architecture: 'amd64', os: 'linux' } }], DOCKER_LIST);
    await pushManifest(main.url, NAME, 'docker', list);
    const top = await fetch(at(`/v2/${NAME}/manifests/docker`), {
      headers: { Accept: `${DOCKER_LIST}, ${DOCKER_MANIFEST}` },
    });
    expect(top.headers.get('content-type')).toBe(DOCKER_LIST);
    const child = await fetch(at(`/v2/${NAME}/manifests/${manifest.digest}`), { headers: { Accept: DOCKER_MANIFEST } });
    expect(child.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(Buffer.from(await child.arrayBuffer()).equals(manifest.bytes)).toBe(true);
  });

  it('HEAD of a nonexistent manifest answers 404', async () => {
    expect((await fetch(at(`/v2/${NAME}/manifests/nonexistent`), { method: 'HEAD' })).status).toBe(404);
  });

  it('GET of a nonexistent manifest answers 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await fetch(at(`/v2/${NAME}/manifests/nonexistent`)), 404, 'MANIFEST_UNKNOWN');
  });

  it.each(['.invalid-tag', `t${'x'.repeat(128)}`, 'sha256:abc', `md5:${'a'.repeat(32)}`])(
    'GET and HEAD of a reference that is not a valid tag or digest (%s) answer 404 MANIFEST_UNKNOWN',
    async (reference) => {
      await expectOciError(await fetch(at(`/v2/${NAME}/manifests/${reference}`)), 404, 'MANIFEST_UNKNOWN');
      expect((await fetch(at(`/v2/${NAME}/manifests/${reference}`), { method: 'HEAD' })).status).toBe(404);
    },
  );
});

describe('Pull: blobs', () => {
  it('HEAD of the config blob answers 200 with Content-Length and Docker-Content-Digest', async () => {
    const res = await fetch(at(`/v2/${NAME}/blobs/${amd64.manifest.config.digest}`), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(amd64.manifest.config.size));
    expect(res.headers.get('docker-content-digest')).toBe(amd64.manifest.config.digest);
  });

  it('GET of every blob of the image answers 200 with bytes that hash to its digest', async () => {
    for (const blob of [amd64.manifest.config, ...amd64.layers]) {
      const res = await fetch(at(`/v2/${NAME}/blobs/${blob.digest}`));
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(blob.digest);
    }
  });

  it('a resumed pull with Range answers 206 with the rest of the blob', async () => {
    const layer = amd64.layers[1]!;
    const res = await fetch(at(`/v2/${NAME}/blobs/${layer.digest}`), { headers: { Range: 'bytes=100-' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-${layer.size - 1}/${layer.size}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(layer.bytes.subarray(100))).toBe(true);
  });

  it('HEAD of a nonexistent blob answers 404', async () => {
    expect(
      (await fetch(at(`/v2/${NAME}/blobs/${sha256(Buffer.from('nonexistent'))}`), { method: 'HEAD' })).status,
    ).toBe(404);
  });

  it('GET of a nonexistent blob answers 404 BLOB_UNKNOWN', async () => {
    await expectOciError(
      await fetch(at(`/v2/${NAME}/blobs/${sha256(Buffer.from('nonexistent'))}`)),
      404,
      'BLOB_UNKNOWN',
    );
  });
});
