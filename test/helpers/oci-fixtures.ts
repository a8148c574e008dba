/**
 * Builds OCI content for tests: random layers, image manifests, indexes, and OCI image layouts
 * on disk that skopeo can copy from (`oci:<dir>:<tag>`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
  mediaType: string;
}

export const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export function blobOf(bytes: Buffer, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): Blob {
  return { digest: sha256(bytes), size: bytes.byteLength, bytes, mediaType };
}

/** `size` bytes that are the same for the same `seed` on every run (a SHA-256 chain). */
export function seededBytes(seed: string, size: number): Buffer {
  const chunks: Buffer[] = [];
  let block = createHash('sha256').update(seed).digest();
  for (let filled = 0; filled < size; filled += block.length) {
    chunks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(chunks).subarray(0, size);
}

export function randomBlob(size: number, mediaType?: string): Blob {
  return blobOf(randomBytes(size), mediaType);
}

export const descriptor = (b: { digest: string; size: number; mediaType: string }) => ({
  mediaType: b.mediaType,
  digest: b.digest,
  size: b.size,
});

export interface ImageOptions {
  layers: Blob[];
  config?: Blob;
  mediaType?: string;
  artifactType?: string;
  subject?: { digest: string; size: number; mediaType: string };
  annotations?: Record<string, string>;
}

export function configBlob(architecture = 'amd64'): Blob {
  const config = { architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} };
  return blobOf(Buffer.from(JSON.stringify(config)), 'application/vnd.oci.image.config.v1+json');
}

/** An image manifest's bytes and digest (the manifest itself as a Blob). */
export function imageManifest(options: ImageOptions): Blob & { config: Blob } {
  const config = options.config ?? configBlob();
  const mediaType = options.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const body: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(options.artifactType && { artifactType: options.artifactType }),
    config: descriptor(config),
    layers: options.layers.map(descriptor),
    ...(options.subject && { subject: descriptor(options.subject) }),
    ...(options.annotations && { annotations: options.annotations }),
  };
  return { ...blobOf(Buffer.from(JSON.stringify(body)), mediaType), config };
}

export function indexManifest(
  manifests: Array<Blob & { platform?: unknown }>,
  mediaType = 'application/vnd.oci.image.index.v1+json',
): Blob {
  const body = {
    schemaVersion: 2,
    mediaType,
    manifests: manifests.map((m) => ({ ...descriptor(m), ...(m.platform ? { platform: m.platform } : {}) })),
  };
  return blobOf(Buffer.from(JSON.stringify(body)), mediaType);
}

/** Writes `size` random bytes to a file without holding them in memory; returns its digest. */
export async function writeRandomFile(path: string, size: number): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const chunk = 1 << 20;
  for (let written = 0; written < size; written += chunk) {
    const bytes = randomBytes(Math.min(chunk, size - written));
    hash.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export interface LayoutImage {
  /** Blobs already written elsewhere in the layout (such as a large layer file). */
  blobs: Blob[];
  manifests: Blob[];
  /** The top manifest (index or image) that the tag names. */
  top: Blob;
}

/** Writes an OCI image layout: `oci-layout`, `index.json` naming `top` by `tag`, and blobs. */
export async function writeOciLayout(dir: string, tag: string, image: LayoutImage): Promise<void> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of [...image.blobs, ...image.manifests]) {
    await writeFile(join(blobsDir, b.digest.slice('sha256:'.length)), b.bytes);
  }
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...descriptor(image.top), annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
}
