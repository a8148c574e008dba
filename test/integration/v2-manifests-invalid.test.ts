/**
 * Manifests main must refuse (distribution-spec "Pushing Manifests", "Error Codes"): unknown
 * blobs and children, malformed documents, media type disagreements, oversized bodies, and a
 * digest in the URL that the bytes do not hash to. A refused manifest leaves nothing behind.
 */
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
import {
  expectOciError,
  openConnection,
  pushBlob,
  pushImage,
  putManifest,
  type PushedImage,
} from '../helpers/registry-http.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

let main: TestMain;
let image: PushedImage;
const REPO = 'refuse/me';

beforeAll(async () => {
  main = await startTestMain();
  image = await pushImage(main.url, REPO, 'base');
});
afterAll(async () => {
  await main.stop();
});

const manifestUrl = (reference: string, name = REPO) => `${main.url}/v2/${name}/manifests/${reference}`;
const raw = (body: string | Buffer, contentType = OCI_MANIFEST) => ({
  bytes: Buffer.from(body),
  mediaType: contentType,
});
/** A valid image manifest body over the blobs already pushed, to spoil one field at a time. */
const validBody = () => ({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: descriptor(image.manifest.config),
  layers: image.layers.map(descriptor),
});

/** The refused manifest is not stored under its digest nor under the tag it was pushed with. */
async function expectNotStored(bytes: Buffer, tag: string): Promise<void> {
  expect((await fetch(manifestUrl(sha256(bytes)), { method: 'HEAD' })).status).toBe(404);
  expect((await fetch(manifestUrl(tag), { method: 'HEAD' })).status).toBe(404);
}

describe('PUT /v2/<name>/manifests/<reference> with unknown references', () => {
  it('answers 404 MANIFEST_BLOB_UNKNOWN listing a layer that was never pushed', async () => {
    const missing = randomBlob(64);
    const manifest = imageManifest({ layers: [image.layers[0]!, missing], config: image.manifest.config });
    const error = await expectOciError(
      await putManifest(main.url, REPO, 'nolayer', manifest),
      404,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(error.detail).toEqual({ digests: [missing.digest] });
    await expectNotStored(manifest.bytes, 'nolayer');
  });

  it('answers 404 MANIFEST_BLOB_UNKNOWN for a config that was never pushed', async () => {
    const config = configBlob('s390x');
    const manifest = imageManifest({ layers: image.layers, config });
    const error = await expectOciError(
      await putManifest(main.url, REPO, 'noconfig', manifest),
      404,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(error.detail).toEqual({ digests: [config.digest] });
    await expectNotStored(manifest.bytes, 'noconfig');
  });

  it('answers 404 MANIFEST_BLOB_UNKNOWN for blobs that only another repository holds', async () => {
    const layer = randomBlob(32);
    await pushBlob(main.url, 'refuse/other', layer);
    const manifest = imageManifest({ layers: [layer], config: image.manifest.config });
    const error = await expectOciError(
      await putManifest(main.url, REPO, 'foreignblob', manifest),
      404,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(error.detail).toEqual({ digests: [layer.digest] });
  });

  it('answers 404 MANIFEST_BLOB_UNKNOWN for an index whose child manifest was never pushed', async () => {
    const child = imageManifest({ layers: image.layers, config: configBlob('riscv64') });
    const index = indexManifest([image.manifest, child]);
    const error = await expectOciError(
      await putManifest(main.url, REPO, 'noindexchild', index),
      404,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(error.detail).toEqual({ digests: [child.digest] });
    await expectNotStored(index.bytes, 'noindexchild');
  });

  it('answers 404 MANIFEST_BLOB_UNKNOWN for an index whose child is only a blob, not a manifest', async () => {
    const blob = blobOf(Buffer.from('{}'), OCI_MANIFEST);
    await pushBlob(main.url, REPO, blob);
    const index = indexManifest([blob]);
    await expectOciError(await putManifest(main.url, REPO, 'blobchild', index), 404, 'MANIFEST_BLOB_UNKNOWN');
  });
});

describe('PUT /v2/<name>/manifests/<reference> with invalid documents', () => {
  const cases: Array<[string, () => string | Buffer, string?]> = [
    ['a body that is not JSON', () => '{"schemaVersion": 2,'],
    ['an empty body', () => ''],
    ['a JSON array', () => '[1,2]'],
    ['bytes that are not UTF-8 JSON', () => Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ['schemaVersion 1', () => JSON.stringify({ ...validBody(), schemaVersion: 1 })],
    ['schemaVersion "2" as a string', () => JSON.stringify({ ...validBody(), schemaVersion: '2' })],
    ['no schemaVersion', () => JSON.stringify({ ...validBody(), schemaVersion: undefined })],
    ['no config', () => JSON.stringify({ ...validBody(), config: undefined })],
    ['layers that are not a list', () => JSON.stringify({ ...validBody(), layers: {} })],
    [
      'a descriptor with a malformed digest',
      () => JSON.stringify({ ...validBody(), layers: [{ ...descriptor(image.layers[0]!), digest: 'sha256:123' }] }),
    ],
    [
      'a descriptor with a negative size',
      () => JSON.stringify({ ...validBody(), layers: [{ ...descriptor(image.layers[0]!), size: -1 }] }),
    ],
    [
      'a descriptor without a media type',
      () => JSON.stringify({ ...validBody(), layers: [{ ...descriptor(image.layers[0]!), mediaType: undefined }] }),
    ],
    ['annotations that are not strings', () => JSON.stringify({ ...validBody(), annotations: { a: 1 } })],
    ['a non-string artifactType', () => JSON.stringify({ ...validBody(), artifactType: 7 })],
    ['a malformed subject', () => JSON.stringify({ ...validBody(), subject: { mediaType: OCI_MANIFEST } })],
    ['an image manifest carrying manifests', () => JSON.stringify({ ...validBody(), manifests: [] })],
    [
      'an index carrying layers',
      () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], layers: [] }),
      OCI_INDEX,
    ],
    [
      'an unsupported mediaType in the body',
      () => JSON.stringify({ ...validBody(), mediaType: 'application/vnd.example+json' }),
      'application/json',
    ],
  ];

  it.each(cases)('answers 400 MANIFEST_INVALID for %s', async (_what, makeBody, contentType) => {
    const body = makeBody();
    const res = await putManifest(main.url, REPO, 'invalid', raw(body, contentType));
    await expectOciError(res, 400, 'MANIFEST_INVALID');
    await expectNotStored(Buffer.from(body), 'invalid');
  });

  it('answers 400 MANIFEST_INVALID when Content-Type and the body mediaType disagree', async () => {
    const body = JSON.stringify({ ...validBody(), annotations: { case: 'mismatch' } });
    const error = await expectOciError(
      await putManifest(main.url, REPO, 'mismatch', raw(body, OCI_INDEX)),
      400,
      'MANIFEST_INVALID',
    );
    expect(error.message).toContain(OCI_INDEX);
    await expectOciError(
      await putManifest(main.url, REPO, 'mismatch', raw(body, DOCKER_MANIFEST)),
      400,
      'MANIFEST_INVALID',
    );
    await expectNotStored(Buffer.from(body), 'mismatch');
  });

  it('answers 400 MANIFEST_INVALID for a Content-Type that is not a manifest type', async () => {
    const body = JSON.stringify(validBody());
    await expectOciError(await putManifest(main.url, REPO, 'ctype', raw(body, 'text/plain')), 400, 'MANIFEST_INVALID');
    await expectOciError(
      await putManifest(main.url, REPO, 'ctype', raw(body, 'application/octet-stream')),
      400,
      'MANIFEST_INVALID',
    );
  });

  it('answers 400 MANIFEST_INVALID for a tag that breaks the tag grammar', async () => {
    for (const tag of ['-dash', '.dot', 'a'.repeat(129), 'sp%20ace', 'a%2Fb']) {
      await expectOciError(await putManifest(main.url, REPO, tag, image.manifest), 400, 'MANIFEST_INVALID');
    }
  });
});

describe('PUT /v2/<name>/manifests/<reference> with an oversized body', () => {
  it('answers 413 (MANIFEST_INVALID) for a manifest over 4 MiB, and stores nothing', async () => {
    const base = { ...validBody(), annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } };
    const body = Buffer.from(JSON.stringify(base));
    const error = await expectOciError(await putManifest(main.url, REPO, 'huge', raw(body)), 413, 'MANIFEST_INVALID');
    expect(error.message).toContain('4194304');
    await expectNotStored(body, 'huge');
  });

  it('answers 413 for an oversized chunked manifest and keeps answering on the same connection', async () => {
    const connection = await openConnection(main.url);
    try {
      connection.write(
        `PUT /v2/${REPO}/manifests/chunked HTTP/1.1\r\nHost: registry\r\nContent-Type: ` +
          `${OCI_MANIFEST}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 5; i++)
        connection.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      connection.write('0\r\n\r\n');
      const refused = await connection.response();
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toMatchObject({ errors: [{ code: 'MANIFEST_INVALID' }] });
      connection.write(`GET /v2/${REPO}/manifests/base HTTP/1.1\r\nHost: registry\r\n\r\n`);
      const next = await connection.response();
      expect(next.status).toBe(200);
      expect(Buffer.from(next.body).equals(image.manifest.bytes)).toBe(true);
    } finally {
      connection.close();
    }
  });

  it('answers 413 for an oversized manifest streamed by fetch without Content-Length', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(manifestUrl('huge-chunked'), {
      method: 'PUT',
      body,
      duplex: 'half',
      headers: { 'Content-Type': OCI_MANIFEST },
    } as RequestInit);
    await expectOciError(res, 413, 'MANIFEST_INVALID');
    expect((await fetch(manifestUrl('base'))).status).toBe(200);
  });
});

describe('PUT /v2/<name>/manifests/<digest> that the bytes do not hash to', () => {
  it('answers 400 DIGEST_INVALID with the expected and actual digests, and stores nothing', async () => {
    const manifest = imageManifest({ layers: image.layers, config: image.manifest.config, annotations: { v: '2' } });
    const claimed = sha256(Buffer.from('other bytes'));
    const error = await expectOciError(await putManifest(main.url, REPO, claimed, manifest), 400, 'DIGEST_INVALID');
    expect(error.detail).toEqual({ expected: claimed, actual: manifest.digest });
    expect((await fetch(manifestUrl(claimed), { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(manifestUrl(manifest.digest), { method: 'HEAD' })).status).toBe(404);
  });

  it('answers 400 DIGEST_INVALID for a sha512 reference that does not match', async () => {
    const claimed = `sha512:${'ab'.repeat(64)}`;
    await expectOciError(await putManifest(main.url, REPO, claimed, image.manifest), 400, 'DIGEST_INVALID');
  });

  it('answers 400 DIGEST_INVALID for a malformed digest reference', async () => {
    await expectOciError(await putManifest(main.url, REPO, 'sha256:short', image.manifest), 400, 'DIGEST_INVALID');
  });
});
