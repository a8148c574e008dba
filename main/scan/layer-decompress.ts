/**
 * @module scan/layer-decompress
 * Turns a layer blob stream into an uncompressed tar stream. The media type says what the layer should be;
 * the first bytes say what it is: gzip (1f 8b), zstd (28 b5 2f fd) or a plain tar ("ustar" at offset 257).
 * Magic bytes win over the media type because `docker save` and some registries label plain tars as gzip;
 * a media type that is not a layer type at all is refused. Never buffers more than the first 512 bytes.
 * zstd: Node 20's zlib has none, so fzstd (pure JavaScript, no install step) decompresses it.
 */
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export class LayerFormatError extends Error {
  readonly code = 'LAYER_FORMAT';
}

export type LayerCompression = 'gzip' | 'zstd' | 'none';

// OCI image-spec layer.md and the Docker v2 schema 2 rootfs types, with their nondistributable variants.
const OCI_LAYER = String.raw`oci\.image\.layer(?:\.nondistributable)?\.v1\.tar(?:\+(gzip|zstd))?`;
const DOCKER_LAYER = String.raw`docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.(gzip))?`;
const LAYER_MEDIA_TYPE = new RegExp(`^application/vnd\\.(?:${OCI_LAYER}|${DOCKER_LAYER})$`);

/** The compression a layer media type declares; throws LayerFormatError for a media type that is not a layer. */
export function parseLayerMediaType(mediaType: string): LayerCompression {
  const m = LAYER_MEDIA_TYPE.exec(mediaType);
  if (!m) throw new LayerFormatError(`not a layer media type: ${mediaType.slice(0, 200)}`);
  const c = m[1] ?? m[2];
  return c === 'gzip' || c === 'zstd' ? c : 'none';
}

/** What the first bytes of a blob are; undefined when they are none of the three. */
export function sniffCompression(head: Buffer): LayerCompression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'none';
  // An empty layer is a valid tar of zero or two zero blocks.
  if (head.length === 0 || head.every((b) => b === 0)) return 'none';
  return undefined;
}

/** A Transform that decompresses zstd frames as they arrive. */
export function createZstdDecompressor(): Transform {
  let decoder: Decompress | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder ??= new Decompress((data) => this.push(Buffer.from(data.buffer, data.byteOffset, data.length)));
        decoder.push(chunk);
        done();
      } catch (err) {
        done(new LayerFormatError(`zstd: ${(err as Error).message}`));
      }
    },
    flush(done) {
      try {
        decoder?.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(new LayerFormatError(`zstd: ${(err as Error).message}`));
      }
    },
  });
}

/** The layer's uncompressed tar bytes. Errors of the source or the decoder surface on the returned stream. */
export async function openLayerTar(blob: Readable, mediaType: string): Promise<Readable> {
  const declared = parseLayerMediaType(mediaType);
  const iterator = blob[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < 512 && !done) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      length += next.value.length;
    }
  }
  const head = Buffer.concat(chunks);
  const actual = sniffCompression(head);
  if (actual === undefined) {
    throw new LayerFormatError(`layer declared as ${declared} is neither gzip, zstd nor tar`);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const raw = Readable.from(rest(), { objectMode: false });
  if (actual === 'none') return raw;
  const decoder = actual === 'gzip' ? createGunzip() : createZstdDecompressor();
  raw.on('error', (err) => decoder.destroy(err));
  return raw.pipe(decoder);
}
