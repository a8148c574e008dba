/**
 * End to end with a real client: skopeo pushes to and pulls from main, which runs from the
 * built CLI. Run `npm run build`, then `npx vitest run --project e2e`.
 *
 * The large layer is written to disk in 1 MiB pieces and never held in memory here, so the
 * test also shows that main streams a 256 MiB push and pull through.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobOf,
  descriptor,
  indexManifest,
  randomBlob,
  sha256,
  writeOciLayout,
  writeRandomFile,
  type Blob,
} from '../helpers/oci-fixtures.js';
import { expectOciError } from '../helpers/registry-http.js';
import { spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { copy, deleteImage, dockerRef, inspectRaw, listTags, writeDirLayout } from '../helpers/skopeo.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const MiB = 2 ** 20;
const BIG_LAYER_BYTES = 256 * MiB;
// Uncompressed, so that skopeo has no reason to touch the layer on its way.
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

function imageConfig(
  architecture: string,
  diffIds: string[],
  mediaType = 'application/vnd.oci.image.config.v1+json',
): Blob {
  const config = { architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} };
  return blobOf(Buffer.from(JSON.stringify(config)), mediaType);
}

/** An image manifest over descriptors (the large layer has no bytes in memory to make a Blob of). */
function imageManifestOf(config: Descriptor, layers: Descriptor[], mediaType = OCI_MANIFEST): Blob {
  const body = { schemaVersion: 2, mediaType, config: descriptor(config), layers: layers.map(descriptor) };
  return blobOf(Buffer.from(JSON.stringify(body)), mediaType);
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

let work: TempDir;
let main: SpawnedMain;

beforeAll(async () => {
  work = await createTempDir('outpost-e2e-');
  main = await spawnMain(join(work.path, 'data'));
});

afterAll(async () => {
  if (main) {
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
  }
  await work?.remove();
});

describe('skopeo and a multi-architecture OCI index with a 256 MiB layer', () => {
  let source: string;
  let index: Blob;
  let amd64: Blob;
  let arm64: Blob;
  let big: Descriptor;
  /** Every manifest and blob digest of the image, sorted. */
  let expectedDigests: string[];

  beforeAll(async () => {
    source = join(work.path, 'source');
    const blobsDir = join(source, 'blobs', 'sha256');
    await mkdir(blobsDir, { recursive: true });
    const partial = join(blobsDir, 'big.partial');
    const written = await writeRandomFile(partial, BIG_LAYER_BYTES);
    await rename(partial, join(blobsDir, written.digest.slice('sha256:'.length)));
    big = { mediaType: OCI_LAYER, ...written };

    // Both platforms share the first layer; only amd64 has the large one.
    const shared = randomBlob(MiB, OCI_LAYER);
    const amd64Config = imageConfig('amd64', [shared.digest, big.digest]);
    const arm64Config = imageConfig('arm64', [shared.digest]);
    amd64 = imageManifestOf(amd64Config, [shared, big]);
    arm64 = imageManifestOf(arm64Config, [shared]);
    index = indexManifest([
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    await writeOciLayout(source, 'v1', {
      blobs: [shared, amd64Config, arm64Config],
      manifests: [amd64, arm64, index],
      top: index,
    });
    expectedDigests = [index, amd64, arm64, amd64Config, arm64Config, shared, big].map((d) => d.digest).sort();

    await copy(`oci:${source}:v1`, dockerRef(main.url, 'e2e/multi:v1'), { all: true });
  });

  it('is pushed with copy --all: the tag names the index, digest unchanged, and every blob is stored', async () => {
    const res = await fetch(`${main.url}/v2/e2e/multi/manifests/v1`, { headers: { Accept: OCI_INDEX } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_INDEX);
    expect(res.headers.get('docker-content-digest')).toBe(index.digest);
    for (const manifest of [amd64, arm64]) {
      const platform = await fetch(`${main.url}/v2/e2e/multi/manifests/${manifest.digest}`, {
        headers: { Accept: OCI_MANIFEST },
      });
      expect(platform.status).toBe(200);
      expect(sha256(Buffer.from(await platform.arrayBuffer()))).toBe(manifest.digest);
    }
    const head = await fetch(`${main.url}/v2/e2e/multi/blobs/${big.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(BIG_LAYER_BYTES));
  });

  it('is served to skopeo inspect --raw as pushed: the index by tag and each platform manifest by digest', async () => {
    expect(sha256(await inspectRaw(dockerRef(main.url, 'e2e/multi:v1')))).toBe(index.digest);
    for (const manifest of [amd64, arm64]) {
      expect(await inspectRaw(dockerRef(main.url, `e2e/multi@${manifest.digest}`))).toEqual(manifest.bytes);
    }
  });

  it('has its tags listed by skopeo list-tags, including a second tag pushed over existing blobs', async () => {
    await copy(`oci:${source}:v1`, dockerRef(main.url, 'e2e/multi:v2'), { all: true });
    expect(await listTags(dockerRef(main.url, 'e2e/multi'))).toEqual(['v1', 'v2']);
  });

  it('is copied back out to an OCI layout with every manifest and blob digest identical', async () => {
    const out = join(work.path, 'pulled');
    await copy(dockerRef(main.url, 'e2e/multi:v1'), `oci:${out}:v1`, { all: true });

    const outIndex = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    expect(outIndex.manifests.map((m) => m.digest)).toEqual([index.digest]);
    const names = await readdir(join(out, 'blobs', 'sha256'));
    expect(names.map((name) => `sha256:${name}`).sort()).toEqual(expectedDigests);
    // skopeo verifies what it pulls, but check that every file holds the bytes its name says.
    for (const name of names) expect(await hashFile(join(out, 'blobs', 'sha256', name))).toBe(`sha256:${name}`);
  });

  it('is deleted by skopeo delete: the index and every tag naming it are gone', async () => {
    await deleteImage(dockerRef(main.url, 'e2e/multi:v1'));
    await expect(inspectRaw(dockerRef(main.url, 'e2e/multi:v1'))).rejects.toThrow(/manifest unknown/);
    // v2 named the same index, so it went too.
    expect(await listTags(dockerRef(main.url, 'e2e/multi'))).toEqual([]);
    await expectOciError(await fetch(`${main.url}/v2/e2e/multi/manifests/${index.digest}`), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('skopeo and a Docker schema 2 image', () => {
  it('round-trips through main with Docker media types, the same manifest bytes and the same blobs', async () => {
    const tar = randomBytes(64 * 1024);
    const layer = blobOf(gzipSync(tar), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    const config = imageConfig('amd64', [sha256(tar)], 'application/vnd.docker.container.image.v1+json');
    const manifest = imageManifestOf(config, [layer], DOCKER_MANIFEST);
    const source = join(work.path, 'docker-source');
    await writeDirLayout(source, manifest.bytes, [layer, config]);

    await copy(`dir:${source}`, dockerRef(main.url, 'e2e/docker:v1'));
    const res = await fetch(`${main.url}/v2/e2e/docker/manifests/v1`, { headers: { Accept: DOCKER_MANIFEST } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
    expect(await inspectRaw(dockerRef(main.url, 'e2e/docker:v1'))).toEqual(manifest.bytes);

    const out = join(work.path, 'docker-pulled');
    await copy(dockerRef(main.url, 'e2e/docker:v1'), `dir:${out}`);
    expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest.bytes);
    for (const blob of [layer, config]) {
      expect(await readFile(join(out, blob.digest.slice('sha256:'.length)))).toEqual(blob.bytes);
    }
    expect((await readdir(out)).sort()).toEqual(
      [layer, config]
        .map((b) => b.digest.slice('sha256:'.length))
        .concat('manifest.json', 'version')
        .sort(),
    );
  });
});
