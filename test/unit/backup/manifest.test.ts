/**
 * `backup.json` as restore reads it (main/backup/manifest.ts): what it accepts, and the refusals
 * that keep a damaged or foreign manifest from steering a restore.
 */
import { describe, expect, it } from 'vitest';
import { FORMAT, FORMAT_VERSION, ManifestInvalidError, parseManifest } from '../../../main/backup/manifest.js';

const HEX = 'a'.repeat(64);
const valid = () => ({
  format: FORMAT,
  formatVersion: FORMAT_VERSION,
  outpostVersion: '0.1.0',
  created: '2026-12-01T06:00:00.000Z',
  metadata: { path: 'db/data.mdb', size: 4096, sha256: HEX },
  files: [{ path: 'keys/keyring.json', size: 10, sha256: HEX }],
  blobs: [
    { digest: `sha256:${HEX}`, size: 100 },
    { digest: `sha256:${'b'.repeat(64)}`, size: 20 },
  ],
  totals: { blobs: 2, blobBytes: 120, missingUnreferenced: 0 },
});

const refusal = (value: unknown): string => {
  try {
    parseManifest(value);
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestInvalidError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('parseManifest', () => {
  it('accepts a manifest as backup writes it', () => {
    expect(parseManifest(valid())).toEqual(valid());
  });

  it('refuses what is not an outpost backup manifest, and other format versions', () => {
    expect(refusal({ ...valid(), format: 'other' })).toBe('not an outpost backup manifest');
    expect(refusal({ ...valid(), formatVersion: 2 })).toBe('format version 2; this outpost reads version 1');
  });

  it('refuses file paths that would leave the data directory', () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'keys/../../x', 'keys//x', './db']) {
      expect(refusal({ ...valid(), files: [{ path, size: 1, sha256: HEX }] })).toBe('files[0]: no valid path');
    }
  });

  it('refuses a blob without a valid digest, and totals that do not add up', () => {
    const blobs = [{ digest: 'sha256:nothex', size: 1 }];
    expect(refusal({ ...valid(), blobs })).toBe('blobs[0]: no valid digest and size');
    expect(refusal({ ...valid(), totals: { blobs: 2, blobBytes: 121, missingUnreferenced: 0 } })).toBe(
      'totals do not match the blobs listed',
    );
  });

  it('refuses a checksum that is not a sha256', () => {
    expect(refusal({ ...valid(), metadata: { path: 'db/data.mdb', size: 1, sha256: 'abc' } })).toBe(
      'metadata db/data.mdb: no valid size and sha256',
    );
  });
});
