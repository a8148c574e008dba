// zstd layers as podman's zstd:chunked writes them: several frames one after the other and skippable frames
// (RFC 8878 section 3.1.2, magic 0x184D2A5?) holding metadata the decompressed tar does not include.
import { describe, expect, it } from 'vitest';
import { parseLayerMediaType } from '../../../main/scan/layer-decompress.js';
import { scanImage } from '../../../main/scan/scan-image.js';
import { layerOf, tarOf, zstdOf } from '../../helpers/layer-tar.js';

function skippableFrame(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('zstd layers', () => {
  it('decodes concatenated frames and ignores skippable frames between and after them', async () => {
    const tar = await tarOf([
      { path: 'var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n' },
      { path: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n' },
    ]);
    const cut = 1536; // inside the second entry's header block: frames split the tar anywhere
    const blob = Buffer.concat([
      zstdOf(tar.subarray(0, cut)),
      skippableFrame(Buffer.from('{"toc":"chunked metadata"}')),
      zstdOf(tar.subarray(cut)),
      skippableFrame(Buffer.alloc(64, 7)),
    ]);
    const inventory = await scanImage([layerOf(blob, 'zstd')]);
    expect(inventory.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}`)).toEqual([
      'apk:musl@1.2.5-r0',
      'deb:a@1',
    ]);
  });
});

describe('parseLayerMediaType', () => {
  it.each([
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
  ])('reads %s as %s', (mediaType, compression) => {
    expect(parseLayerMediaType(mediaType)).toBe(compression);
  });

  it.each(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.layer.v1.tar+bzip2', ''])(
    'refuses %j with LAYER_FORMAT',
    (mediaType) => {
      expect(() => parseLayerMediaType(mediaType)).toThrow(expect.objectContaining({ code: 'LAYER_FORMAT' }));
    },
  );
});
