/**
 * OCI distribution-spec v1.1 conformance, "Push" workflow category, written from the spec's
 * text ("Pushing blobs", "Pushing a blob monolithically", "Pushing a blob in chunks", "Mounting
 * a blob from another repository", "Pushing Manifests"). Steps run in order and share state,
 * as a client's push does; where the spec allows two answers, main's one is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { blobOf, descriptor, imageManifest, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import { jsonBlob, putManifest } from '../helpers/registry-http.js';

const NAME = 'conformance/push';
const CROSSMOUNT = 'conformance/crossmount';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_JSON = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

const at = (path: string) => new URL(path, main.url).href;
const sessionPath = (location: string | null) => {
  expect(location).toMatch(new RegExp(`^/v2/${NAME}/blobs/uploads/[0-9a-f-]{36}$`));
  return location!;
};
const startSession = async (name = NAME) => {
  const res = await fetch(at(`/v2/${name}/blobs/uploads/`), { method: 'POST', headers: { 'Content-Length': '0' } });
  expect(res.status).toBe(202);
  return res;
};
const withDigest = (location: string, digest: string) =>
  at(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`);

const streamed = randomBlob(3000);
const config = blobOf(
  Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })),
  'application/vnd.oci.image.config.v1+json',
);
const layer = randomBlob(6000);
const chunked = randomBlob(1234);
const chunk1 = chunked.bytes.subarray(0, 617);
const chunk2 = chunked.bytes.subarray(617);

describe('Push: blob upload streamed', () => {
  let location: string;

  it('PATCH with the blob in the body (no Content-Range) answers 202', async () => {
    const start = await startSession();
    const res = await fetch(at(sessionPath(start.headers.get('location'))), {
      method: 'PATCH',
      body: streamed.bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe(`0-${streamed.size - 1}`);
    location = sessionPath(res.headers.get('location'));
  });

  it('PUT to the session URL with the digest answers 201 with the blob Location', async () => {
    const res = await fetch(withDigest(location, streamed.digest), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${NAME}/blobs/${streamed.digest}`);
  });
});

describe('Push: blob upload monolithic', () => {
  let location: string;

  it('GET of a blob not yet pushed answers 404', async () => {
    expect((await fetch(at(`/v2/${NAME}/blobs/${config.digest}`))).status).toBe(404);
  });

  it('POST with digest and blob answers 201 with Location', async () => {
    const res = await fetch(at(`/v2/${NAME}/blobs/uploads/?digest=${config.digest}`), {
      method: 'POST',
      body: config.bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${NAME}/blobs/${config.digest}`);
  });

  it('GET of the blob from the prior request answers 200 with its bytes', async () => {
    const res = await fetch(at(`/v2/${NAME}/blobs/${config.digest}`));
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(config.digest);
  });

  it('POST answers 202 with a session Location', async () => {
    location = sessionPath((await startSession()).headers.get('location'));
  });

  it('PUT of a layer blob to the session answers 201', async () => {
    const res = await fetch(withDigest(location, layer.digest), {
      method: 'PUT',
      body: layer.bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${NAME}/blobs/${layer.digest}`);
  });

  it('GET of the layer answers 200', async () => {
    expect((await fetch(at(`/v2/${NAME}/blobs/${layer.digest}`))).status).toBe(200);
  });
});

describe('Push: blob upload chunked', () => {
  let first: string;
  let last: string;
  const patchChunk = (location: string, bytes: Uint8Array, range: string) =>
    fetch(at(location), {
      method: 'PATCH',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': range },
    });

  it('an out-of-order chunk answers 416', async () => {
    const location = sessionPath((await startSession()).headers.get('location'));
    expect((await patchChunk(location, chunk2, `617-${chunked.size - 1}`)).status).toBe(416);
  });

  it('PATCH with the first chunk answers 202 with Range 0-<end>', async () => {
    first = sessionPath((await startSession()).headers.get('location'));
    const res = await patchChunk(first, chunk1, '0-616');
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe('0-616');
    last = sessionPath(res.headers.get('location'));
  });

  it('retrying the previous chunk answers 416', async () => {
    expect((await patchChunk(first, chunk1, '0-616')).status).toBe(416);
  });

  it('GET on the upload answers 204 with Location and the Range received', async () => {
    const res = await fetch(at(first));
    expect(res.status).toBe(204);
    expect(res.headers.get('range')).toBe('0-616');
    last = sessionPath(res.headers.get('location'));
  });

  it('PATCH with the second chunk answers 202 with the whole Range', async () => {
    const res = await patchChunk(last, chunk2, `617-${chunked.size - 1}`);
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe(`0-${chunked.size - 1}`);
    last = sessionPath(res.headers.get('location'));
  });

  it('PUT with the digest and no body answers 201', async () => {
    const res = await fetch(withDigest(last, chunked.digest), {
      method: 'PUT',
      headers: { 'Content-Length': '0', 'Content-Type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${NAME}/blobs/${chunked.digest}`);
    const pulled = await fetch(at(res.headers.get('location')!));
    expect(Buffer.from(await pulled.arrayBuffer()).equals(chunked.bytes)).toBe(true);
  });
});

describe('Push: cross-repository blob mount', () => {
  it('mount without from answers 202 with a session Location', async () => {
    const res = await fetch(at(`/v2/${CROSSMOUNT}/blobs/uploads/?mount=${sha256(Buffer.from('dummy'))}`), {
      method: 'POST',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/v2/${CROSSMOUNT}/blobs/uploads/`));
  });

  it('mount of another repository blob answers 201 with Location in the mounting repository', async () => {
    const res = await fetch(at(`/v2/${CROSSMOUNT}/blobs/uploads/?mount=${streamed.digest}&from=${NAME}`), {
      method: 'POST',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${CROSSMOUNT}/blobs/${streamed.digest}`);
  });

  it('GET of the mounted digest in the mounting repository answers 200', async () => {
    const res = await fetch(at(`/v2/${CROSSMOUNT}/blobs/${streamed.digest}`));
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(streamed.digest);
  });

  it('mount of a blob the source lacks answers 202 (a session in the mounting repository)', async () => {
    const res = await fetch(at(`/v2/${CROSSMOUNT}/blobs/uploads/?mount=${sha256(Buffer.from('nope'))}&from=${NAME}`), {
      method: 'POST',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/v2/${CROSSMOUNT}/blobs/uploads/`));
  });
});

describe('Push: manifest upload', () => {
  const image = imageManifest({ layers: [layer], config });
  let index: Blob;

  it('GET of a manifest not yet pushed answers 404', async () => {
    expect((await fetch(at(`/v2/${NAME}/manifests/test0`))).status).toBe(404);
  });

  it('PUT accepts the manifest under several tags, each with a Location', async () => {
    for (const tag of ['test0', 'test1', 'test2', 'test3']) {
      const res = await putManifest(main.url, NAME, tag, image);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v2/${NAME}/manifests/${image.digest}`);
    }
  });

  it('accepts a manifest with no layers', async () => {
    await fetch(at(`/v2/${NAME}/blobs/uploads/?digest=${EMPTY_JSON.digest}`), {
      method: 'POST',
      body: EMPTY_JSON.bytes,
    });
    expect(
      (await putManifest(main.url, NAME, 'emptylayer', imageManifest({ layers: [], config: EMPTY_JSON }))).status,
    ).toBe(201);
  });

  it('GET of the manifest by digest with Accept answers 200 with its bytes', async () => {
    const res = await fetch(at(`/v2/${NAME}/manifests/${image.digest}`), { headers: { Accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(image.bytes)).toBe(true);
  });

  it('accepts a manifest whose config media type is its artifact type', async () => {
    const typedConfig = blobOf(Buffer.from('{"kind":"sbom"}'), 'application/vnd.example.config.v1+json');
    await fetch(at(`/v2/${NAME}/blobs/uploads/?digest=${typedConfig.digest}`), {
      method: 'POST',
      body: typedConfig.bytes,
    });
    const artifact = imageManifest({ layers: [layer], config: typedConfig });
    expect((await putManifest(main.url, NAME, artifact.digest, artifact)).status).toBe(201);
  });

  it('accepts a manifest with an artifactType and the empty config', async () => {
    const artifact = imageManifest({
      layers: [layer],
      config: EMPTY_JSON,
      artifactType: 'application/vnd.example.sig.v1',
    });
    expect((await putManifest(main.url, NAME, artifact.digest, artifact)).status).toBe(201);
  });

  it('accepts an image index', async () => {
    index = jsonBlob(
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        artifactType: 'application/vnd.example.index',
        manifests: [descriptor(image)],
        annotations: { 'org.example': 'index' },
      },
      OCI_INDEX,
      2,
    );
    expect((await putManifest(main.url, NAME, index.digest, index)).status).toBe(201);
  });

  it('accepts a nested image index', async () => {
    const nested = jsonBlob({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor(index)] }, OCI_INDEX);
    expect((await putManifest(main.url, NAME, nested.digest, nested)).status).toBe(201);
  });

  it('accepts a dangling subject and answers OCI-Subject with its digest', async () => {
    const absent = randomBlob(10, OCI_MANIFEST);
    const artifact = imageManifest({
      layers: [layer],
      config: EMPTY_JSON,
      artifactType: 'application/vnd.example.sig.v1',
      subject: absent,
    });
    const res = await putManifest(main.url, NAME, artifact.digest, artifact);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(absent.digest);
  });
});

describe('Push: teardown', () => {
  it('deletes the manifest and the blobs created (202)', async () => {
    const image = imageManifest({ layers: [layer], config });
    expect((await fetch(at(`/v2/${NAME}/manifests/${image.digest}`), { method: 'DELETE' })).status).toBe(202);
    for (const blob of [config, layer]) {
      expect((await fetch(at(`/v2/${NAME}/blobs/${blob.digest}`), { method: 'DELETE' })).status).toBe(202);
    }
  });
});
