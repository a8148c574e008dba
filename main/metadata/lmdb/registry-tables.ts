/**
 * @module The LMDB sub-databases of the registry metadata (main/metadata/lmdb/registry.ts is
 * their only user). Names, keys and encodings are those of every earlier version, so existing
 * data directories keep working. Blob bytes live in the `BlobStore`; manifests (at most a few
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
 *	events         <name> SEP <time> SEP <sequence>     RepositoryEvent
 *
 * Event keys sort by time in ms (15 digits), then by the order one process wrote them in the
 * same millisecond (6 digits), so a reverse range scan returns a repository's newest first.
 */
import type { Database, RootDatabase } from '../../../src/store/lmdb.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { BlobRecord, ManifestRecord, RepositoryEvent, RepositoryRecord, UploadRecord } from '../registry.js';

export interface RepoBlobRecord {
  linkedAt: number;
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

export interface RegistryTables {
  readonly repositories: Database<RepositoryRecord, string>;
  readonly blobs: Database<BlobRecord, string>;
  readonly repoBlobs: Database<RepoBlobRecord, string>;
  readonly manifests: Database<ManifestRecord, string>;
  readonly tags: Database<TagRecord, string>;
  readonly referrers: Database<ReferrerRecord, string>;
  readonly uploads: Database<UploadRecord, string>;
  readonly blobRefs: Database<true, string>;
  readonly events: Database<RepositoryEvent, string>;
}

export function openRegistryTables(root: RootDatabase): RegistryTables {
  const sub = <V>(name: string) => root.openDB<V, string>({ name, encoding: 'msgpack' });
  return {
    repositories: sub('repositories'),
    blobs: sub('blobs'),
    repoBlobs: sub('repoBlobs'),
    manifests: sub('manifests'),
    tags: sub('tags'),
    referrers: sub('referrers'),
    uploads: sub('uploads'),
    blobRefs: sub('blobRefs'),
    events: sub('events'),
  };
}
