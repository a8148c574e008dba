/**
 * @module Manifest parsing: bytes + Content-Type in, a typed and validated manifest out.
 *
 * Only structure is checked here (JSON shape, media type consistency, descriptors); whether the
 * referenced blobs exist is the repository's business. Every failure is `MANIFEST_INVALID`.
 */
import { OciError } from './errors.js';
import { isDigest, type Digest } from './digest.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MediaType } from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: unknown;
}

export type Manifest =
  /** An image or artifact manifest (OCI image manifest or Docker schema 2). */
  | {
      kind: 'image';
      mediaType: string;
      config: Descriptor;
      layers: Descriptor[];
      subject?: Descriptor;
      artifactType?: string;
      annotations?: Record<string, string>;
    }
  /** An index of manifests (OCI image index or Docker manifest list). */
  | {
      kind: 'index';
      mediaType: string;
      manifests: Descriptor[];
      subject?: Descriptor;
      artifactType?: string;
      annotations?: Record<string, string>;
    };

const invalid = (message: string, detail?: unknown): OciError => new OciError('MANIFEST_INVALID', { message, detail });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${where}.annotations must be a map of strings`);
  }
  return value as Record<string, string>;
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, urls, platform } = value;
  if (typeof mediaType !== 'string' || mediaType.length === 0) throw invalid(`${where}.mediaType must be a string`);
  if (typeof digest !== 'string' || !isDigest(digest))
    throw invalid(`${where}.digest is not a valid digest`, { digest });
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  if (artifactType !== undefined && typeof artifactType !== 'string')
    throw invalid(`${where}.artifactType must be a string`);
  if (urls !== undefined && (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))) {
    throw invalid(`${where}.urls must be a list of strings`);
  }
  const descriptor: Descriptor = { mediaType, digest: digest as Digest, size };
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  const annotations = parseAnnotations(value.annotations, where);
  if (annotations) descriptor.annotations = annotations;
  if (urls !== undefined) descriptor.urls = urls as string[];
  if (platform !== undefined) descriptor.platform = platform;
  return descriptor;
}

function parseDescriptorList(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be a list`);
  return value.map((item, i) => parseDescriptor(item, `${where}[${i}]`));
}

/** Strips parameters: `application/json; charset=utf-8` -> `application/json`. */
function bareMediaType(contentType: string | undefined): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}

/**
 * Decides the manifest's media type from the body's `mediaType` field and the request's
 * Content-Type. They must agree when both are specific (image-spec: "mediaType ... MUST match").
 */
function resolveMediaType(body: Record<string, unknown>, contentType: string | undefined): string {
  const declared = body.mediaType;
  if (declared !== undefined && typeof declared !== 'string') throw invalid('mediaType must be a string');
  const header = bareMediaType(contentType);
  const headerIsSpecific = header !== undefined && MANIFEST_MEDIA_TYPES.has(header);
  if (declared !== undefined && headerIsSpecific && declared !== header) {
    throw invalid(`Content-Type ${header} does not match the manifest's mediaType ${declared}`);
  }
  const chosen =
    declared ??
    (headerIsSpecific ? header : undefined) ??
    (Array.isArray(body.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  if (!MANIFEST_MEDIA_TYPES.has(chosen)) {
    throw invalid(`unsupported manifest media type ${chosen}`, { supported: [...MANIFEST_MEDIA_TYPES] });
  }
  if (header !== undefined && !headerIsSpecific && header !== 'application/json') {
    throw invalid(`unsupported Content-Type ${header} for a manifest`);
  }
  return chosen;
}

/** Parses and validates a manifest's bytes; throws `MANIFEST_INVALID` with a precise message. */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): Manifest {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isRecord(body)) throw invalid('manifest must be a JSON object');
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const mediaType = resolveMediaType(body, contentType);
  const subject = body.subject === undefined ? undefined : parseDescriptor(body.subject, 'subject');
  if (body.artifactType !== undefined && typeof body.artifactType !== 'string')
    throw invalid('artifactType must be a string');
  const artifactType = body.artifactType as string | undefined;
  const annotations = parseAnnotations(body.annotations, 'manifest');
  const common = {
    mediaType,
    ...(subject && { subject }),
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations && { annotations }),
  };
  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    if (body.config !== undefined || body.layers !== undefined)
      throw invalid('an index must not have config or layers');
    return { kind: 'index', manifests: parseDescriptorList(body.manifests, 'manifests'), ...common };
  }
  if (body.manifests !== undefined) throw invalid('an image manifest must not have manifests');
  return {
    kind: 'image',
    config: parseDescriptor(body.config, 'config'),
    layers: parseDescriptorList(body.layers ?? [], 'layers'),
    ...common,
  };
}

/** The artifact type a referrers listing reports: explicit, else the config's media type. */
export function effectiveArtifactType(manifest: Manifest): string | undefined {
  if (manifest.artifactType !== undefined) return manifest.artifactType;
  return manifest.kind === 'image' ? manifest.config.mediaType : undefined;
}
