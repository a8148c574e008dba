/**
 * @module What a scan of a manifest covers: the image manifests (one per platform) behind a digest,
 * each with the layers a scan reads. An image gives itself; an index gives its image children
 * (BuildKit attestations and other artifacts left out, at most `MAX_PLATFORMS`); an artifact (a
 * config that is not an image config: signatures, SBOMs) gives nothing, since it installs no software.
 * Foreign (non-distributable) layers are not stored by the registry and are left out of the scan.
 * Reads manifests through the registry metadata owner only.
 */
import type { Digest } from '../../src/oci/digest.js';
import { parseManifest, type Manifest } from '../../src/oci/manifest.js';
import { isForeignLayer } from '../../src/oci/media-types.js';
import type { RepoName } from '../../src/oci/reference.js';
import { isAttestation, isImageConfig, platformName, platformOf } from '../images/platforms.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { ScanLayerRef } from '../metadata/scans.js';

export interface ScanTarget {
  manifestDigest: Digest;
  /** `os/arch[/variant]` as an index declares it; `unknown` for a lone image (only its config knows). */
  platform: string;
  layers: ScanLayerRef[];
}

/** More platforms than any real index has (Docker Official Images publish up to about ten). */
export const MAX_PLATFORMS = 64;

const isImage = (m: Manifest | undefined): m is Extract<Manifest, { kind: 'image' }> =>
  m?.kind === 'image' && m.artifactType === undefined && isImageConfig(m.config.mediaType);

const layersOf = (m: Extract<Manifest, { kind: 'image' }>): ScanLayerRef[] =>
  m.layers.filter((l) => !isForeignLayer(l.mediaType)).map((l) => ({ digest: l.digest, mediaType: l.mediaType }));

/** The platform images of `digest` in `repo`; empty for an artifact or an unknown digest. */
export async function scanTargets(
  metadata: Pick<RegistryMetadata, 'getManifest'>,
  repo: RepoName,
  digest: Digest,
): Promise<ScanTarget[]> {
  const load = async (d: Digest) => {
    const record = await metadata.getManifest(repo, d);
    return record && parseManifest(record.bytes, record.mediaType);
  };
  const top = await load(digest);
  if (top === undefined) return [];
  if (top.kind === 'image')
    return isImage(top) ? [{ manifestDigest: digest, platform: 'unknown', layers: layersOf(top) }] : [];
  const targets: ScanTarget[] = [];
  for (const child of top.manifests.slice(0, MAX_PLATFORMS)) {
    if (isAttestation(child)) continue;
    const manifest = await load(child.digest);
    if (!isImage(manifest)) continue;
    targets.push({
      manifestDigest: child.digest,
      platform: platformName(platformOf(child.platform, undefined)),
      layers: layersOf(manifest),
    });
  }
  return targets;
}
