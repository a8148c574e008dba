/**
 * @module Platforms of an image or index, and the compressed size a pull of each downloads.
 * An index's size is per platform: a client pulls one of them, never all, so adding them up
 * (as the tag list once did) overstates a four-platform image fourfold.
 */
import type { Digest } from '../../src/oci/digest.js';
import { parseManifest, type Manifest } from '../../src/oci/manifest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { ConfigDetails } from './image-config.js';

/** Config media types of runnable images; any other config makes the manifest an artifact. */
export const IMAGE_CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

export const isImageConfig = (mediaType: string): boolean => IMAGE_CONFIG_MEDIA_TYPES.has(mediaType);

/**
 * BuildKit's provenance and SBOM attestations: index children with an image config and platform
 * `unknown/unknown`, told apart only by this annotation (BuildKit docs, "Attestation storage").
 * They are artifacts, not a platform anyone pulls.
 */
export const isAttestation = (child: { annotations?: Record<string, string> }): boolean =>
  child.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';

export interface PlatformView {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
}

/** `linux/arm64/v8`: how `--platform` spells it. */
export const platformName = (p: PlatformView): string =>
  [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');

const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/**
 * The platform an index declares for a child (image-spec image-index.md `platform`), else the
 * one its config states; `unknown` for what neither says.
 */
export function platformOf(declared: unknown, config: ConfigDetails | undefined): PlatformView {
  const d = typeof declared === 'object' && declared !== null ? (declared as Record<string, unknown>) : {};
  const os = str(d.os) ?? config?.os ?? 'unknown';
  const architecture = str(d.architecture) ?? config?.architecture ?? 'unknown';
  const variant = str(d.variant) ?? (str(d.architecture) ? undefined : config?.variant);
  const osVersion = str(d['os.version']);
  return {
    os,
    architecture,
    ...(variant !== undefined && { variant }),
    ...(osVersion !== undefined && { osVersion }),
  };
}

export interface PlatformSize {
  /** `os/architecture[/variant]` as the index declares it (`unknown` when it does not). */
  platform: string;
  digest: string;
  /** Compressed bytes of the platform's layers. */
  compressedSize: number;
}

/**
 * Per image of `digest`: its platform and compressed size, from manifests alone (no config read,
 * cheap enough for a tag list). An image or artifact gives one entry (platform `unknown`: only a
 * config knows it); an index one per image child, artifacts (attestations) left out; at most `limit`.
 */
export async function platformSizes(
  metadata: Pick<RegistryMetadata, 'getManifest'>,
  repo: RepoName,
  digest: Digest,
  limit = 64,
): Promise<PlatformSize[]> {
  const load = async (d: Digest) => {
    const record = await metadata.getManifest(repo, d);
    return record && parseManifest(record.bytes, record.mediaType);
  };
  /** Compressed size of an image manifest; undefined for an artifact or an index. */
  const imageSize = (m: Manifest | undefined) =>
    m?.kind === 'image' && m.artifactType === undefined && isImageConfig(m.config.mediaType)
      ? m.layers.reduce((sum, l) => sum + l.size, 0)
      : undefined;
  const top = await load(digest);
  if (!top) return [];
  if (top.kind === 'image') {
    // An artifact alone counts too: pulling it downloads its blobs.
    return [{ platform: 'unknown', digest, compressedSize: top.layers.reduce((sum, l) => sum + l.size, 0) }];
  }
  const sizes: PlatformSize[] = [];
  for (const child of top.manifests.slice(0, limit)) {
    if (isAttestation(child)) continue;
    const compressedSize = imageSize(await load(child.digest));
    if (compressedSize === undefined) continue;
    sizes.push({ platform: platformName(platformOf(child.platform, undefined)), digest: child.digest, compressedSize });
  }
  return sizes;
}
