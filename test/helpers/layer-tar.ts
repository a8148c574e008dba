// Builds image layers for the scanner tests: tar (tar-stream's packer), gzip (zlib) and zstd (the zstd
// command, which .ci/run installs; fzstd only decompresses). Only test/services/ may build zstd layers: the unit
// project needs nothing but Node and node_modules.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack as createPack } from 'tar-stream';
import type { LayerSource } from '../../main/scan/scan-image.js';

export interface TarEntry {
  path: string;
  /** File content; absent for a directory or a hard link. */
  content?: Buffer | string;
  /** Makes the entry a hard link to this earlier path of the same archive. */
  linkTo?: string;
  mode?: number;
}

export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = createPack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    if (e.linkTo !== undefined) pack.entry({ name: e.path, type: 'link', linkname: e.linkTo });
    else if (e.content === undefined) pack.entry({ name: e.path, type: 'directory', mode: e.mode ?? 0o755 });
    else pack.entry({ name: e.path, mode: e.mode ?? 0o644 }, Buffer.from(e.content));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function zstdOf(data: Buffer): Buffer {
  const out = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1024 * 1024 * 1024 });
  // A missing zstd command fails the test (out.error is ENOENT), never skips it.
  if (out.error) throw new Error(`zstd could not run (.ci/run installs it): ${out.error.message}`);
  if (out.status !== 0) throw new Error(`zstd failed: ${out.stderr.toString()}`);
  return out.stdout;
}

export type Compression = 'gzip' | 'zstd' | 'none';

const MEDIA_TYPES: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** A layer source over an in-memory blob, served in 64 KiB chunks like a network stream. */
export function layerOf(blob: Buffer, compression: Compression, mediaType = MEDIA_TYPES[compression]): LayerSource {
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  return {
    digest,
    mediaType,
    open: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < blob.length; i += 65536) yield blob.subarray(i, i + 65536);
        })(),
      ),
  };
}

export async function compressedLayer(entries: readonly TarEntry[], compression: Compression): Promise<LayerSource> {
  const tar = await tarOf(entries);
  const blob = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? zstdOf(tar) : tar;
  return layerOf(blob, compression);
}
