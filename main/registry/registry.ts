/**
 * @module Builds main's registry services over the registry metadata owner and one blob store.
 * Neither is exposed: callers go through the services.
 */
import type { BlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { RegistryMetadata } from '../metadata/registry.js';
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
}

export function createRegistry({ metadata, store, now, logger, maxManifestBytes }: RegistryDeps): Registry {
  const blobs = createRepositoryBlobs({ metadata, store, now });
  return {
    blobs,
    uploads: createUploads({ metadata, store: store.uploads, blobs, now, logger }),
    manifests: createManifests({ metadata, now, maxManifestBytes }),
    listings: createListings(metadata),
  };
}
