import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BlobPaths, UUID_PATTERN } from '../../../src/store/blob-paths.js';
import { parseDigest } from '../../../src/oci/digest.js';

const ROOT = join('/data', 'main');
const paths = new BlobPaths(ROOT);
const SESSION = '0b9f2c1e-8d3a-4f6b-9c2d-1a2b3c4d5e6f';

describe('BlobPaths', () => {
  it('puts blobs, uploads, tmp and trash directly under the root', () => {
    expect([paths.blobsDir, paths.uploadsDir, paths.tmpDir, paths.trashDir]).toEqual(
      ['blobs', 'uploads', 'tmp', 'trash'].map((dir) => join(ROOT, dir)),
    );
  });

  it('places a blob at blobs/<algorithm>/<first two hex>/<hex>', () => {
    const hex = `ab${'0'.repeat(62)}`;
    expect(paths.blob(parseDigest(`sha256:${hex}`))).toBe(join(ROOT, 'blobs', 'sha256', 'ab', hex));
    const hex512 = `cd${'1'.repeat(126)}`;
    expect(paths.blob(parseDigest(`sha512:${hex512}`))).toBe(join(ROOT, 'blobs', 'sha512', 'cd', hex512));
  });

  it('places an upload session at uploads/<session id>', () => {
    expect(paths.upload(SESSION)).toBe(join(ROOT, 'uploads', SESSION));
  });

  it.each([
    ['a parent-directory path', '../../etc/passwd'],
    ['an uppercase UUID', SESSION.toUpperCase()],
    ['a UUID with a suffix', `${SESSION}/x`],
    ['an empty string', ''],
  ])('refuses %s as a session id', (_, id) => {
    expect(() => paths.upload(id)).toThrow(new Error(`not a session id: ${id.slice(0, 64)}`));
    expect(UUID_PATTERN.test(id)).toBe(false);
  });

  it('echoes at most 64 characters of a refused session id', () => {
    expect(() => paths.upload('x'.repeat(200))).toThrow(new Error(`not a session id: ${'x'.repeat(64)}`));
  });

  it('gives a different temporary name under tmp/ each time', () => {
    const a = paths.newTemp();
    const b = paths.newTemp();
    expect(a).not.toBe(b);
    expect(a.startsWith(join(ROOT, 'tmp') + '/')).toBe(true);
  });

  it('names trash after the digest, unique per call', () => {
    const digest = parseDigest(`sha256:${'e'.repeat(64)}`);
    const a = paths.newTrash(digest);
    expect(a.startsWith(join(ROOT, 'trash', `${'e'.repeat(64)}.`))).toBe(true);
    expect(paths.newTrash(digest)).not.toBe(a);
  });
});
