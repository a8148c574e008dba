// zstd layers, compressed by the zstd command (.ci/run installs it; Node 20's zlib has no zstd and fzstd only
// decompresses), so these run under `services`. As podman's zstd:chunked writes them: several frames one after
// the other and skippable frames (RFC 8878 section 3.1.2, magic 0x184D2A5?) holding metadata the decompressed
// tar does not include.
import { describe, expect, it } from 'vitest';
import { scanImage } from '../../../main/scan/scan-image.js';
import { compressedLayer, layerOf, tarOf, zstdOf } from '../../helpers/layer-tar.js';

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

  it('refuses a truncated zstd stream', async () => {
    const tar = await tarOf([
      { path: 'var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n' },
    ]);
    const zst = zstdOf(tar);
    await expect(scanImage([layerOf(zst.subarray(0, zst.length - 20), 'zstd')])).rejects.toMatchObject({
      code: 'LAYER_FORMAT',
    });
  });

  it('reads a zstd layer above a gzip one, whiteouts applied', async () => {
    const base = await compressedLayer(
      [
        { path: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n' },
        { path: 'app/node_modules/left-pad/package.json', content: '{"name":"left-pad","version":"1.3.0"}' },
      ],
      'gzip',
    );
    const top = await compressedLayer(
      [
        { path: 'app/node_modules/.wh.left-pad', content: '' },
        { path: 'app/node_modules/tar-stream/package.json', content: '{"name":"tar-stream","version":"3.2.2"}' },
      ],
      'zstd',
    );
    const inventory = await scanImage([base, top]);
    expect(inventory.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version} ${p.layer}`)).toEqual([
      `apk:musl@1.2.5-r0 ${base.digest}`,
      `npm:tar-stream@3.2.2 ${top.digest}`,
    ]);
  });
});
