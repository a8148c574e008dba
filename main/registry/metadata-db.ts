/**
 * @module Main's registry metadata in LMDB: repositories, blob links, manifests, tags,
 * referrers and upload sessions. Blob bytes live in the `BlobStore`; manifests (at most a few
 * MiB) live here, so that a manifest and its tag change in one transaction.
 *
 *	repositories   <name>                               RepositoryRecord
 *	blobs          <digest>                             BlobRecord (one per stored file)
 *	repoBlobs      <name> SEP <digest>                  RepoBlobRecord (blob is part of repo)
 *	manifests      <name> SEP <digest>                  ManifestRecord (bytes included)
 *	tags           <name> SEP <tag>                     TagRecord
 *	referrers      <name> SEP <subject> SEP <digest>    ReferrerRecord
 *	blobRefs       <blob> SEP <name> SEP <manifest>     true (a manifest needs this blob)
 *	uploads        <session id>                         UploadRecord
 */
import { openLmdb, writeAtomically, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { UploadState } from '../../src/store/blob-store.js';

export interface RepositoryRecord {
  createdAt: number;
  /** Public repositories can be pulled by anyone; absent means private. */
  visibility?: 'public' | 'private';
  /** When true, a tag cannot be moved to another manifest once pushed. */
  immutableTags?: boolean;
}

export interface BlobRecord {
  size: number;
  createdAt: number;
  /** Last time a repository linked it (upload or mount); the garbage collector's grace clock. */
  linkedAt: number;
}

export interface RepoBlobRecord {
  linkedAt: number;
}

export interface ManifestRecord {
  mediaType: string;
  size: number;
  bytes: Uint8Array;
  /** Config and layer digests (image) that must stay stored while this manifest exists. */
  blobs: Digest[];
  /** Child manifests (index). */
  children: Digest[];
  subject?: Digest;
  artifactType?: string;
  annotations?: Record<string, string>;
  createdAt: number;
}

export interface TagRecord {
  digest: Digest;
  updatedAt: number;
}

export interface ReferrerRecord {
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface UploadRecord {
  repo: RepoName;
  /** Bytes durably received (the file may hold a torn tail past this after a crash). */
  size: number;
  createdAt: number;
  updatedAt: number;
  /** The blob store's state of the session (`BlobStore.uploads`); absent in records of older versions. */
  store?: UploadState;
}

export interface MetadataDb {
  readonly root: RootDatabase;
  readonly repositories: Database<RepositoryRecord, string>;
  readonly blobs: Database<BlobRecord, string>;
  readonly repoBlobs: Database<RepoBlobRecord, string>;
  readonly manifests: Database<ManifestRecord, string>;
  readonly tags: Database<TagRecord, string>;
  readonly referrers: Database<ReferrerRecord, string>;
  readonly uploads: Database<UploadRecord, string>;
  readonly blobRefs: Database<true, string>;
  /** Runs `fn` in one write transaction: all or nothing, a throw rolls back its writes. */
  transaction<T>(fn: () => T): Promise<T>;
  close(): Promise<void>;
}

export function openMetadataDb(path: string): MetadataDb {
  const root = openLmdb({ path });
  const sub = <V>(name: string) => root.openDB<V, string>({ name, encoding: 'msgpack' });
  return {
    root,
    repositories: sub('repositories'),
    blobs: sub('blobs'),
    repoBlobs: sub('repoBlobs'),
    manifests: sub('manifests'),
    tags: sub('tags'),
    referrers: sub('referrers'),
    uploads: sub('uploads'),
    blobRefs: sub('blobRefs'),
    transaction: (fn) => writeAtomically(root, fn),
    close: () => root.close(),
  };
}
