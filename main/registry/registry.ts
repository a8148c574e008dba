/**
 * @module Builds main's registry services over the registry metadata owner and one blob store.
 * Neither is exposed: callers go through the services.
 */
import type { BlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { createRepositoryBlobs, type RepositoryBlobs } from './repository-blobs.js';
import { createUploads, type Uploads } from './uploads.js';
import { createManifests, type Manifests } from './manifests.js';
import { createListings, type Listings } from './listings.js';

export interface Registry {
  blobs: RepositoryBlobs;
  uploads: Uploads;
  manifests: Manifests;
  listings: Listings;
}

export interface RegistryDeps {
  metadata: RegistryMetadata;
  /** The only door to blob bytes: the registry never sees where they are kept. */
  store: BlobStore;
  now: () => number;
  logger: Logger;
  maxManifestBytes: number;
  /** Told of every manifest stored (after its put succeeded; must not throw or block): scan on push. */
  onManifestStored?: (repo: RepoName, digest: Digest) => void;
}

export function createRegistry({
  metadata,
  store,
  now,
  logger,
  maxManifestBytes,
  onManifestStored,
}: RegistryDeps): Registry {
  const blobs = createRepositoryBlobs({ metadata, store, now });
  return {
    blobs,
    uploads: createUploads({ metadata, store: store.uploads, blobs, now, logger }),
    manifests: createManifests({ metadata, now, maxManifestBytes, ...(onManifestStored && { onManifestStored }) }),
    listings: createListings(metadata),
  };
}
