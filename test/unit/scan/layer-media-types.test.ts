// Which layer media types the scanner reads, and with which decompression.
import { describe, expect, it } from 'vitest';
import { parseLayerMediaType } from '../../../main/scan/layer-decompress.js';

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
