/**
 * @module What a manifest holds, for people: per platform the image's settings (from its config
 * blob), its history lined up with its layers and their compressed sizes; artifacts (a config
 * that is not an image config) as artifacts; and the referrers (signatures, SBOMs) attached.
 *
 * Reads through the registry's doors only: the manifest records of the metadata owner and the
 * repository's blobs (`RepositoryBlobs`, over the `BlobStore`). Knows nothing of callers' rights:
 * images.ts checks those first. A config blob that is missing, larger than `maxConfigBytes` or
 * not JSON makes that platform's config `unavailable` with a reason; it never fails the whole answer.
 */
import type { Digest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';
import { parseManifest, type Descriptor, type Manifest } from '../../src/oci/manifest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { RepositoryBlobs } from '../registry/repository-blobs.js';
import { alignHistory, type HistoryStep, type LayerView } from './history.js';
import { parseImageConfig, type ConfigDetails } from './image-config.js';
import { isAttestation, isImageConfig, platformOf, type PlatformView } from './platforms.js';

export type ConfigView =
  /** The config was read: its fields (history is in the image's `history`). */
  | ({ state: 'available' } & Omit<ConfigDetails, 'history'>)
  /** Missing, too large or malformed: `reason` says which. */
  | { state: 'unavailable'; reason: string };

export interface ReferrerView {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageView {
  digest: string;
  mediaType: string;
  manifestSize: number;
  platform: PlatformView;
  /** The layers' compressed bytes added up: what pulling this platform downloads. */
  compressedSize: number;
  layers: LayerView[];
  config: ConfigView;
  /** Steps with the layer each produced; the layers alone when the config is unavailable. */
  history: HistoryStep[];
  referrers: ReferrerView[];
}

export interface ArtifactView {
  digest: string;
  mediaType: string;
  manifestSize: number;
  /** The manifest's `artifactType`, else its config's media type (as the referrers API reports it). */
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
  /** The manifest this artifact refers to (`subject`). */
  subject?: string;
  blobs: LayerView[];
  referrers: ReferrerView[];
}

export interface ManifestDetails {
  digest: string;
  mediaType: string;
  manifestSize: number;
  kind: 'image' | 'index' | 'artifact';
  /** One entry for an image; one per image of an index, in the index's order. */
  platforms: ImageView[];
  /** The artifact itself, or the artifacts an index lists (build attestations, nested indexes). */
  artifacts: ArtifactView[];
  /** Manifests whose `subject` is this one. */
  referrers: ReferrerView[];
  /** Set when the index lists more manifests than are described (`MAX_CHILDREN`). */
  truncated?: true;
}

export interface ImageDetailsDeps {
  metadata: Pick<RegistryMetadata, 'getManifest' | 'listReferrers'>;
  blobs: Pick<RepositoryBlobs, 'open'>;
  /** Config blobs above this are not read (real configs are a few KiB; 4 MiB is generous). */
  maxConfigBytes: number;
}

/** Config blobs above this are not read: real configs are a few KiB, the biggest seen a few hundred. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
// Each described child costs a config read; real indexes list a handful of platforms.
export const MAX_CHILDREN = 64;
// A signature per build per key adds up; the page and the answer stay bounded.
export const MAX_REFERRERS = 200;

export interface ImageDetails {
  /** The details of `digest` in `repo`; undefined when the repository has no such manifest. */
  describe(repo: RepoName, digest: Digest): Promise<ManifestDetails | undefined>;
}

export function createImageDetails({ metadata, blobs, maxConfigBytes }: ImageDetailsDeps): ImageDetails {
  async function referrers(repo: RepoName, digest: Digest): Promise<ReferrerView[]> {
    return (await metadata.listReferrers(repo, digest)).slice(0, MAX_REFERRERS).map((r) => ({
      digest: r.digest,
      mediaType: r.mediaType,
      size: r.size,
      ...(r.artifactType !== undefined && { artifactType: r.artifactType }),
      ...(r.annotations && { annotations: r.annotations }),
    }));
  }

  /** The config's bytes, or why they cannot be shown. */
  async function readConfig(repo: RepoName, config: Descriptor): Promise<Uint8Array | string> {
    if (config.size > maxConfigBytes) return `the config blob is larger than ${maxConfigBytes} bytes`;
    let blob;
    try {
      blob = await blobs.open(repo, config.digest);
    } catch (err) {
      if (err instanceof OciError && err.code === 'BLOB_UNKNOWN') return 'the config blob is not in the repository';
      throw err;
    }
    if (blob.size > maxConfigBytes) {
      await blob.close();
      return `the config blob is larger than ${maxConfigBytes} bytes`;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of blob.stream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const layerViews = (descriptors: readonly Descriptor[]): LayerView[] =>
    descriptors.map((d) => ({ digest: d.digest, mediaType: d.mediaType, size: d.size }));

  async function image(
    repo: RepoName,
    digest: Digest,
    manifest: Extract<Manifest, { kind: 'image' }>,
    manifestSize: number,
    declared: unknown,
  ): Promise<ImageView> {
    const layers = layerViews(manifest.layers);
    const bytes = await readConfig(repo, manifest.config);
    const details = typeof bytes === 'string' ? undefined : parseImageConfig(bytes);
    let config: ConfigView;
    if (details) {
      const { history: _history, ...fields } = details;
      config = { state: 'available', ...fields };
    } else {
      config = {
        state: 'unavailable',
        reason: typeof bytes === 'string' ? bytes : 'the config blob is not a JSON object',
      };
    }
    return {
      digest,
      mediaType: manifest.mediaType,
      manifestSize,
      platform: platformOf(declared, details),
      compressedSize: layers.reduce((sum, l) => sum + l.size, 0),
      layers,
      config,
      history: alignHistory(details?.history ?? [], layers),
      referrers: await referrers(repo, digest),
    };
  }

  async function artifact(repo: RepoName, digest: Digest, manifest: Manifest, size: number): Promise<ArtifactView> {
    const configMediaType = manifest.kind === 'image' ? manifest.config.mediaType : undefined;
    const artifactType = manifest.artifactType ?? configMediaType;
    return {
      digest,
      mediaType: manifest.mediaType,
      manifestSize: size,
      ...(artifactType !== undefined && { artifactType }),
      ...(configMediaType !== undefined && { configMediaType }),
      ...(manifest.annotations && { annotations: manifest.annotations }),
      ...(manifest.subject && { subject: manifest.subject.digest }),
      blobs: manifest.kind === 'image' ? layerViews(manifest.layers) : [],
      referrers: await referrers(repo, digest),
    };
  }

  async function load(repo: RepoName, digest: Digest) {
    const record = await metadata.getManifest(repo, digest);
    if (!record) return undefined;
    // Stored manifests were validated on push; a parse failure here is a bug worth a 500.
    return { manifest: parseManifest(record.bytes, record.mediaType), size: record.size };
  }

  const isImage = (m: Manifest): m is Extract<Manifest, { kind: 'image' }> =>
    m.kind === 'image' && m.artifactType === undefined && isImageConfig(m.config.mediaType);

  return {
    async describe(repo, digest) {
      const top = await load(repo, digest);
      if (!top) return undefined;
      const { manifest, size } = top;
      const base = {
        digest,
        mediaType: manifest.mediaType,
        manifestSize: size,
        referrers: await referrers(repo, digest),
      };
      if (manifest.kind === 'image') {
        return isImage(manifest)
          ? { ...base, kind: 'image', platforms: [await image(repo, digest, manifest, size, undefined)], artifacts: [] }
          : { ...base, kind: 'artifact', platforms: [], artifacts: [await artifact(repo, digest, manifest, size)] };
      }
      const platforms: ImageView[] = [];
      const artifacts: ArtifactView[] = [];
      for (const child of manifest.manifests.slice(0, MAX_CHILDREN)) {
        const loaded = await load(repo, child.digest);
        if (!loaded) continue;
        if (isImage(loaded.manifest) && !isAttestation(child))
          platforms.push(await image(repo, child.digest, loaded.manifest, loaded.size, child.platform));
        else artifacts.push(await artifact(repo, child.digest, loaded.manifest, loaded.size));
      }
      return {
        ...base,
        kind: 'index',
        platforms,
        artifacts,
        ...(manifest.manifests.length > MAX_CHILDREN && { truncated: true as const }),
      };
    },
  };
}
