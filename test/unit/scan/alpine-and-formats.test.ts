// Alpine's installed database in the documented format (Alpine wiki "Apk spec": one record per package,
// "K:value" lines, a blank line between records), with package versions of the alpine 3.20.3 image; and how the
// scanner treats layer formats, caps and broken files.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LayerFormatError } from '../../../main/scan/layer-decompress.js';
import { scanImage } from '../../../main/scan/scan-image.js';
import { compressedLayer, layerOf, tarOf } from '../../helpers/layer-tar.js';

const record = (p: string, v: string, origin: string, extra = ''): string =>
  [
    'C:Q1' + 'A'.repeat(27) + '=',
    `P:${p}`,
    `V:${v}`,
    'A:x86_64',
    'S:100000',
    'I:200000',
    `T:${p} package`,
    'U:https://www.alpinelinux.org',
    'L:MIT',
    `o:${origin}`,
    'm:Natanael Copa <ncopa@alpinelinux.org>',
    't:1720000000',
    'c:0123456789abcdef0123456789abcdef01234567',
    extra,
    'F:lib',
    'R:x',
    'a:0:0:755',
    'Z:Q1' + 'B'.repeat(27) + '=',
  ]
    .filter((l) => l !== '')
    .join('\n');

const INSTALLED = `${[
  record('musl', '1.2.5-r0', 'musl'),
  record('busybox', '1.36.1-r29', 'busybox', 'D:so:libc.musl-x86_64.so.1'),
  record('libcrypto3', '3.3.2-r0', 'openssl', 'p:so:libcrypto.so.3=3'),
  record('ssl_client', '1.36.1-r29', 'busybox'),
].join('\n\n')}\n\n`;

const ALPINE_OS_RELEASE =
  'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n' +
  'HOME_URL="https://alpinelinux.org/"\n';

describe('scanImage on an Alpine image', () => {
  it('lists the installed packages with their origin, and drops one a later layer removed', async () => {
    const base = await compressedLayer(
      [
        { path: 'etc/os-release', content: ALPINE_OS_RELEASE },
        { path: 'lib/apk/db/installed', content: INSTALLED },
      ],
      'gzip',
    );
    const withoutSslClient = INSTALLED.split('\n\n')
      .filter((r) => !r.includes('P:ssl_client'))
      .join('\n\n');
    const top = await compressedLayer([{ path: 'lib/apk/db/installed', content: withoutSslClient }], 'gzip');
    const inventory = await scanImage([base, top]);
    expect(inventory.distro).toEqual({ id: 'alpine', versionId: '3.20.3', prettyName: 'Alpine Linux v3.20' });
    expect(inventory.packages.map((p) => [p.purl, p.sourceName, p.layer])).toEqual([
      ['pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3', 'busybox', base.digest],
      ['pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3', 'openssl', base.digest],
      ['pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3', 'musl', base.digest],
    ]);
  });

  it('forgets the database when a whiteout deletes its directory', async () => {
    const base = await compressedLayer([{ path: 'lib/apk/db/installed', content: INSTALLED }], 'gzip');
    const top = await compressedLayer([{ path: 'lib/apk/.wh.db', content: '' }], 'gzip');
    expect((await scanImage([base, top])).packages).toEqual([]);
  });
});

describe('layer formats', () => {
  const statusLayer = [
    { path: 'var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n' },
  ];

  it('refuses a blob whose media type is not a layer', async () => {
    const layer = layerOf(await tarOf(statusLayer), 'none', 'application/vnd.oci.image.config.v1+json');
    await expect(scanImage([layer])).rejects.toMatchObject({ code: 'LAYER_FORMAT' });
  });

  it('refuses bytes that are neither gzip, zstd nor tar', async () => {
    await expect(scanImage([layerOf(randomBytes(4096), 'gzip')])).rejects.toBeInstanceOf(LayerFormatError);
  });

  it('refuses a corrupt gzip stream', async () => {
    const gz = gzipSync(await tarOf(statusLayer));
    gz.fill(0x55, 20, 60);
    await expect(scanImage([layerOf(gz, 'gzip')])).rejects.toMatchObject({ code: 'LAYER_FORMAT' });
  });

  it('releases the source stream of a layer it refuses', async () => {
    const source = layerOf(randomBytes(4096), 'gzip');
    let opened: Readable | undefined;
    const layer = { ...source, open: () => (opened = source.open() as Readable) };
    await expect(scanImage([layer])).rejects.toBeInstanceOf(LayerFormatError);
    expect(opened?.destroyed).toBe(true);
  });

  it('trusts the magic bytes over the media type: a plain tar labelled gzip, as docker save writes', async () => {
    const layer = layerOf(await tarOf(statusLayer), 'none', 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect((await scanImage([layer])).packages.map((p) => p.name)).toEqual(['a']);
  });

  it('skips and reports a file over the cap, which still replaces the lower layer’s copy', async () => {
    const base = await compressedLayer(statusLayer, 'gzip');
    const big = `Package: b\nStatus: install ok installed\nVersion: 2\nDescription: ${'x'.repeat(2048)}\n`;
    const top = await compressedLayer([{ path: 'var/lib/dpkg/status', content: big }], 'gzip');
    const inventory = await scanImage([base, top], { maxFileBytes: 1024 });
    expect(inventory.packages).toEqual([]);
    expect(inventory.skipped).toEqual([
      {
        layer: top.digest,
        path: 'var/lib/dpkg/status',
        reason: 'too-large',
        detail: `${Buffer.byteLength(big)} bytes`,
      },
    ]);
  });

  it('lets the last copy of a path within one layer win, even one it cannot read', async () => {
    const big = `Package: b\nStatus: install ok installed\nVersion: 2\nDescription: ${'x'.repeat(2048)}\n`;
    const layer = await compressedLayer([...statusLayer, { path: 'var/lib/dpkg/status', content: big }], 'gzip');
    const inventory = await scanImage([layer], { maxFileBytes: 1024 });
    expect(inventory.packages).toEqual([]);
    expect(inventory.skipped.map((s) => s.reason)).toEqual(['too-large']);
  });

  it('reads a hard link to an analyzed file as that file, at the link’s path', async () => {
    const layer = await compressedLayer(
      [
        { path: 'opt/a/node_modules/tar-stream/package.json', content: '{"name":"tar-stream","version":"3.2.2"}' },
        { path: 'opt/b/node_modules/tar-stream/package.json', linkTo: 'opt/a/node_modules/tar-stream/package.json' },
      ],
      'gzip',
    );
    const inventory = await scanImage([layer]);
    expect(inventory.packages.map((p) => `${p.purl} ${p.path}`)).toEqual([
      'pkg:npm/tar-stream@3.2.2 opt/a/node_modules/tar-stream/package.json',
      'pkg:npm/tar-stream@3.2.2 opt/b/node_modules/tar-stream/package.json',
    ]);
  });

  it('reports a file it cannot parse and goes on with the others', async () => {
    const layer = await compressedLayer(
      [{ path: 'app/package-lock.json', content: '{"packages": ' }, ...statusLayer],
      'gzip',
    );
    const inventory = await scanImage([layer]);
    expect(inventory.packages.map((p) => p.name)).toEqual(['a']);
    expect(inventory.skipped).toEqual([
      { layer: layer.digest, path: 'app/package-lock.json', reason: 'unreadable', detail: expect.any(String) },
    ]);
  });
});
