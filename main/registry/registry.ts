/**
 * @module Builds main's registry services over one metadata database and one blob store.
 */
import type { BlobStore } from '../../src/store/blob-store.js';
import type { Logger } from '../../src/log/logger.js';
import type { MetadataDb } from './metadata-db.js';
import { createRepositoryBlobs, type RepositoryBlobs } from './repository-blobs.js';
import { createUploads, type Uploads } from './uploads.js';
import { createManifests, type Manifests } from './manifests.js';
import { createListings, type Listings } from './listings.js';

export interface Registry {
  blobs: RepositoryBlobs;
  uploads: Uploads;
  manifests: Manifests;
  listings: Listings;
  db: MetadataDb;
}

export interface RegistryDeps {
  db: MetadataDb;
  /** The only door to blob bytes: the registry never sees where they are kept. */
  store: BlobStore;
  now: () => number;
  logger: Logger;
  maxManifestBytes: number;
}

export function createRegistry({ db, store, now, logger, maxManifestBytes }: RegistryDeps): Registry {
  const blobs = createRepositoryBlobs({ db, store, now });
  return {
    db,
    blobs,
    uploads: createUploads({ db, store: store.uploads, blobs, now, logger }),
    manifests: createManifests({ db, blobs, now, maxManifestBytes }),
    listings: createListings(db),
  };
}
