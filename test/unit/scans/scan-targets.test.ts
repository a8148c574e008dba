/**
 * What a scan of a digest covers (main/scans/scan-targets.ts): an image itself, each image child of
 * an index with its declared platform, never attestations, artifacts or foreign layers.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestRecord, RegistryMetadata } from '../../../main/metadata/registry.js';
import { scanTargets } from '../../../main/scans/scan-targets.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { blobOf, configBlob, imageManifest, indexManifest, type Blob } from '../../helpers/oci-fixtures.js';

const REPO = 'acme/app' as RepoName;
const FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

/** Manifests as the registry metadata owner gives them back (bytes and media type). */
function storedManifests(manifests: Blob[]): Pick<RegistryMetadata, 'getManifest'> {
  const byDigest = new Map(manifests.map((m) => [m.digest, m]));
  return {
    async getManifest(_repo, digest) {
      const m = byDigest.get(digest);
      const record: ManifestRecord | undefined = m && {
        mediaType: m.mediaType,
        bytes: m.bytes,
        size: m.size,
        blobs: [],
        children: [],
        createdAt: 0,
      };
      return record;
    },
  };
}

const layer = (text: string, mediaType?: string) => blobOf(Buffer.from(text), mediaType);

describe('scanTargets', () => {
  it('gives an image with its layers, foreign layers left out', async () => {
    const layers = [layer('base'), layer('windows base', FOREIGN), layer('app')];
    const image = imageManifest({ layers });
    const targets = await scanTargets(storedManifests([image]), REPO, image.digest as Digest);
    expect(targets).toEqual([
      {
        manifestDigest: image.digest,
        platform: 'unknown',
        layers: [layers[0], layers[2]].map((l) => ({ digest: l!.digest, mediaType: l!.mediaType })),
      },
    ]);
  });

  it("gives each image of an index with the index's platform, and no attestation", async () => {
    const amd64 = imageManifest({ layers: [layer('amd64')], config: configBlob('amd64') });
    const arm = imageManifest({ layers: [layer('arm')], config: configBlob('arm') });
    const attestation = imageManifest({ layers: [layer('{"predicateType":"https://slsa.dev/provenance/v0.2"}')] });
    const index = indexManifest([
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      {
        ...attestation,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ]);
    // The index must mark the attestation as BuildKit does, by annotation.
    const body = JSON.parse(index.bytes.toString());
    body.manifests[2].annotations = { 'vnd.docker.reference.type': 'attestation-manifest' };
    const marked = blobOf(Buffer.from(JSON.stringify(body)), index.mediaType);
    const targets = await scanTargets(
      storedManifests([amd64, arm, attestation, marked]),
      REPO,
      marked.digest as Digest,
    );
    expect(targets.map((t) => [t.platform, t.manifestDigest])).toEqual([
      ['linux/amd64', amd64.digest],
      ['linux/arm/v7', arm.digest],
    ]);
  });

  it('gives nothing for an artifact (a config that is not an image config) or an unknown digest', async () => {
    const chart = imageManifest({
      layers: [layer('chart', 'application/vnd.cncf.helm.chart.content.v1.tar+gzip')],
      config: blobOf(Buffer.from('{}'), 'application/vnd.cncf.helm.config.v1+json'),
    });
    expect(await scanTargets(storedManifests([chart]), REPO, chart.digest as Digest)).toEqual([]);
    expect(await scanTargets(storedManifests([]), REPO, `sha256:${'0'.repeat(64)}` as Digest)).toEqual([]);
  });
});
