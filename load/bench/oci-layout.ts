/**
 * @module Writes the images scenarios push: an OCI image layout on disk (`oci:<dir>:<tag>`)
 * whose layers are random bytes streamed to disk, never held whole in memory.
 *
 *   <dir>/
 *   ├── oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   ├── index.json            names the manifest by <tag>
 *   └── blobs/sha256/<hex>    layers, config, manifest
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';

/** Uncompressed layer: skopeo, told to preserve digests, pushes it byte for byte. */
export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface WrittenImage {
  layers: Descriptor[];
  config: Descriptor;
  manifest: Descriptor;
}

const hexOf = (digest: string) => digest.slice('sha256:'.length);

/** Streams `size` random bytes into `<blobsDir>/<hex>` in 1 MiB chunks; returns its descriptor. */
export async function writeRandomLayer(blobsDir: string, size: number): Promise<Descriptor> {
  const temp = join(blobsDir, `.layer-${process.pid}-${Date.now()}`);
  const hash = createHash('sha256');
  const out = createWriteStream(temp);
  const chunk = 1 << 20;
  for (let written = 0; written < size; written += chunk) {
    const bytes = randomBytes(Math.min(chunk, size - written));
    hash.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(temp, join(blobsDir, hexOf(digest)));
  return { mediaType: LAYER_TAR, digest, size };
}

async function writeJsonBlob(blobsDir: string, mediaType: string, body: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(body));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(blobsDir, hexOf(digest)), bytes);
  return { mediaType, digest, size: bytes.byteLength };
}

/**
 * Writes a single-platform image with one random layer per entry of `layerSizes`, each written by
 * `writeLayer` (default: raw random bytes; the geo benchmark writes tar archives docker unpacks).
 */
export async function writeRandomImageLayout(
  dir: string,
  tag: string,
  layerSizes: readonly number[],
  writeLayer: (blobsDir: string, size: number) => Promise<Descriptor> = writeRandomLayer,
): Promise<WrittenImage> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  const layers: Descriptor[] = [];
  for (const size of layerSizes) layers.push(await writeLayer(blobsDir, size));
  // Uncompressed layers: each diff_id is the layer's own digest.
  const config = await writeJsonBlob(blobsDir, CONFIG, {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
  const manifest = await writeJsonBlob(blobsDir, MANIFEST, { schemaVersion: 2, mediaType: MANIFEST, config, layers });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return { layers, config, manifest };
}
