/**
 * @module The image the scan benchmark scans: gzip layers of many small files (seeded, so every
 * run builds the same bytes), about half compressible text and half random bytes each, plus this
 * machine's real dpkg status and os-release in the first layer and a few real package.json files
 * of this project's node_modules in the last, so the scanner has real packages to find. Written
 * to disk as streams (tar-stream's packer, zlib), never whole in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as createPack, type Pack } from 'tar-stream';

export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface WrittenLayer {
  path: string;
  digest: string;
  /** Compressed bytes (the blob) and the tar's bytes. */
  size: number;
  tarBytes: number;
  files: number;
}

/** A small deterministic generator (mulberry32): the same image on every run and machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et'.split(' ');

/** Pools the file contents are sliced from: 4 MiB of noise and 4 MiB of words. */
function pools(random: () => number): { noise: Buffer; text: Buffer } {
  const noise = Buffer.alloc(4 << 20);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE(Math.floor(random() * 4294967296), i);
  const words: string[] = [];
  let length = 0;
  while (length < 4 << 20) {
    const w = WORDS[Math.floor(random() * WORDS.length)]!;
    words.push(w);
    length += w.length + 1;
  }
  return { noise, text: Buffer.from(words.join(' ')).subarray(0, 4 << 20) };
}

const addEntry = (pack: Pack, name: string, content: Buffer) =>
  new Promise<void>((resolve, reject) => {
    pack.entry({ name, size: content.length, mode: 0o644, mtime: new Date(0) }, content, (err) =>
      err ? reject(err) : resolve(),
    );
  });

/** Real package databases of this machine and project, as files of the image. */
function realFiles(first: boolean, last: boolean): [string, Buffer][] {
  const files: [string, Buffer][] = [];
  if (first) {
    for (const path of ['/etc/os-release', '/var/lib/dpkg/status'])
      if (existsSync(path)) files.push([path.slice(1), readFileSync(path)]);
  }
  if (last) {
    for (const name of ['tar-stream', 'streamx', 'semver', 'hono', 'zod']) {
      const path = join('node_modules', name, 'package.json');
      if (existsSync(path)) files.push([`app/${path}`, readFileSync(path)]);
    }
  }
  return files;
}

/**
 * Writes `count` layers holding `totalBytes` of file content together, files of 512 B to 16 KiB,
 * into `dir`; gzip level 6 (what docker and buildkit use by default).
 */
export async function writeScanLayers(dir: string, totalBytes: number, count: number): Promise<WrittenLayer[]> {
  const random = seeded(12);
  const { noise, text } = pools(random);
  const layers: WrittenLayer[] = [];
  for (let index = 0; index < count; index++) {
    const path = join(dir, `layer-${index}.tar.gz`);
    const pack = createPack();
    const hash = createHash('sha256');
    let size = 0;
    let tarBytes = 0;
    const countTar = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        tarBytes += chunk.length;
        done(null, chunk);
      },
    });
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const written = pipeline(pack, countTar, createGzip({ level: 6 }), hashing, createWriteStream(path));
    let files = 0;
    for (const [name, content] of realFiles(index === 0, index === count - 1)) {
      await addEntry(pack, name, content);
      files++;
    }
    const budget = Math.floor(totalBytes / count);
    for (let bytes = 0; bytes < budget; files++) {
      const fileSize = 512 + Math.floor(random() * (16 * 1024 - 512));
      const half = fileSize >> 1;
      const at = Math.floor(random() * (noise.length - fileSize));
      const content = Buffer.concat([text.subarray(at, at + half), noise.subarray(at, at + fileSize - half)]);
      await addEntry(pack, `usr/share/bench/l${index}/d${files % 997}/f${files}.dat`, content);
      bytes += fileSize;
    }
    pack.finalize();
    await written;
    layers.push({ path, digest: `sha256:${hash.digest('hex')}`, size, tarBytes, files });
  }
  return layers;
}

/** The layer's bytes as a stream, for an upload. */
export const layerStream = (layer: WrittenLayer) => createReadStream(layer.path);
