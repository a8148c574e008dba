/**
 * @module The image the geo benchmark pulls: sized like a real one (a few large layers, many
 * small ones; 400 MiB in all by default) and incompressible, with layers that are real tar
 * archives so docker can unpack them as well as skopeo copy them.
 *
 * Each layer is an uncompressed tar (`application/vnd.oci.image.layer.v1.tar`) holding one file
 * of random bytes: its compressed size is its size, as for any layer of already-compressed data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { LAYER_TAR, writeRandomImageLayout, type Descriptor, type WrittenImage } from '../oci-layout.js';
import { MiB } from '../stats.js';

/** Layer sizes of the default image, MiB, base layer first: 400 MiB in 10 layers. */
export const DEFAULT_LAYERS_MIB = [160, 96, 64, 32, 20, 12, 8, 4, 3, 1] as const;
export const DEFAULT_IMAGE_MIB = DEFAULT_LAYERS_MIB.reduce((a, b) => a + b, 0);

const BLOCK = 512;

/** A ustar header for one regular file (POSIX.1-1988 "ustar" interchange format). */
export function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'latin1');
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  field(136, 12, octal(0, 12));
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  // The checksum is computed with its own field read as eight spaces.
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/**
 * Streams a tar of exactly `size` bytes (a multiple of 512, at least 2 KiB) into `<blobsDir>/<hex>`:
 * a header, one file of random bytes, and the two zero blocks that end an archive.
 */
export async function writeRandomTarLayer(blobsDir: string, size: number): Promise<Descriptor> {
  const fileBytes = Math.floor(size / BLOCK) * BLOCK - 3 * BLOCK;
  if (fileBytes <= 0) throw new Error(`a tar layer needs at least ${4 * BLOCK} bytes, got ${size}`);
  const temp = join(blobsDir, `.tar-${process.pid}-${Date.now()}`);
  const hash = createHash('sha256');
  const out = createWriteStream(temp);
  const write = async (bytes: Buffer) => {
    hash.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
  };
  await write(tarHeader(`layer-${randomBytes(4).toString('hex')}.bin`, fileBytes));
  for (let written = 0; written < fileBytes; written += MiB)
    await write(randomBytes(Math.min(MiB, fileBytes - written)));
  await write(Buffer.alloc(2 * BLOCK));
  out.end();
  await once(out, 'finish');
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(temp, join(blobsDir, digest.slice('sha256:'.length)));
  return { mediaType: LAYER_TAR, digest, size: fileBytes + 3 * BLOCK };
}

/** The default layer sizes scaled to `totalMiB` (each at least 64 KiB), in bytes. */
export function layerSizes(totalMiB: number): number[] {
  return DEFAULT_LAYERS_MIB.map((mib) => Math.max(64 * 1024, Math.round((mib * totalMiB * MiB) / DEFAULT_IMAGE_MIB)));
}

export interface GeoImage extends WrittenImage {
  /** Layers and config: what a pull fetches besides the manifest. */
  blobBytes: number;
}

export async function writeGeoImage(dir: string, tag: string, totalMiB: number): Promise<GeoImage> {
  const image = await writeRandomImageLayout(dir, tag, layerSizes(totalMiB), writeRandomTarLayer);
  const blobBytes = [...image.layers, image.config].reduce((a, b) => a + b.size, 0);
  return { ...image, blobBytes };
}
