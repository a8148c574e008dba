/** Records and digests for the `RegistryMetadata` contract suite (registry-metadata.ts). */
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { parseTag, type Reference } from '../../src/oci/reference.js';
import type { ManifestRecord, RegistryMetadata } from '../../main/metadata/registry.js';

export interface RegistryMetadataFixture {
  metadata: RegistryMetadata;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

/** A real sha256 digest named by a word, so that tests read as what they store. */
export const digest = (name: string): Digest => digestOf(Buffer.from(name), 'sha256');

/** A tag reference. */
export const byTag = (tag: string): Reference => ({ kind: 'tag', tag: parseTag(tag) });

/** An image manifest record whose config and layers are `blobs`. */
export function manifestRecord(blobs: Digest[], createdAt: number): ManifestRecord {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, blobs }));
  return { mediaType: MediaType.OciManifest, size: bytes.length, bytes, blobs, children: [], createdAt };
}

/** An index record whose children are `children`. */
export function indexRecord(children: Digest[], createdAt: number): ManifestRecord {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, children }));
  return { mediaType: MediaType.OciIndex, size: bytes.length, bytes, blobs: [], children, createdAt };
}
