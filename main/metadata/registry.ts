/**
 * @module The registry metadata owner: repositories, blob links, manifests, tags, referrers,
 * upload sessions and the repository event log. It is the only door to these records; the
 * backends (main/metadata/lmdb/registry.ts, later PostgreSQL) implement it and nothing else
 * reads their tables.
 *
 * Every method that writes several records is atomic in each backend: it writes all of them or
 * none, and its refusals (an immutable tag, a missing reference) are decided inside the same
 * transaction, so a concurrent writer cannot slip between the check and the write. Refusals are
 * results, not errors: the domain (main/registry/) turns them into its own errors. A backend
 * that cannot be reached rejects with its own error (LMDB: an errno-style `code`), which the
 * HTTP boundary maps.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { Reference, RepoName } from '../../src/oci/reference.js';

export interface RepositoryRecord {
  createdAt: number;
  /** Public repositories can be pulled by anyone; absent means private. */
  visibility?: 'public' | 'private';
  /** When true, a tag cannot be moved to another manifest once pushed. */
  immutableTags?: boolean;
  /**
   * Pulls of a manifest whose scan found a vulnerability at or above this severity are refused
   * (main/registry/pull-policy.ts); absent or "none": no such refusal.
   */
  blockPullsAtSeverity?: PullBlockSeverity;
}

/** The severities a repository may block pulls at, worst first; "none" blocks nothing. */
export type PullBlockSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none';

export interface RepositoryEntry extends RepositoryRecord {
  name: string;
}

export interface BlobRecord {
  size: number;
  createdAt: number;
  /** Last time a repository linked it (upload or mount); the garbage collector's grace clock. */
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

export interface TagEntry {
  name: string;
  digest: Digest;
  /** When the tag was last pushed or moved. */
  updatedAt: number;
}

export interface ReferrerEntry {
  /** The referring manifest. */
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A blob store's state of an upload session, as JSON (the same shape as `UploadState` of BlobStore). */
export type UploadStoreState =
  | null
  | boolean
  | number
  | string
  | UploadStoreState[]
  | { [key: string]: UploadStoreState };

export interface UploadRecord {
  repo: RepoName;
  /** Bytes durably received (the store may hold a torn tail past this after a crash). */
  size: number;
  createdAt: number;
  updatedAt: number;
  /** The blob store's state of the session, kept for it; absent in records of older versions. */
  store?: UploadStoreState;
}

export interface RepositoryEvent {
  /**
   * create: the repository was created through the API; push: a manifest was put by tag;
   * tag: that put moved the tag from another manifest; delete: a manifest was deleted by digest;
   * untag: a tag was deleted; settings: visibility or immutability changed; prune: a pruning
   * run (started by `actor`) deleted the tag, which pointed to `digest`, or (no `tag`) deleted
   * the manifest `digest`, which that run had left untagged.
   */
  type: 'create' | 'push' | 'tag' | 'delete' | 'untag' | 'settings' | 'prune';
  actor: string;
  at: number;
  tag?: string;
  digest?: string;
}

export interface PutManifestInput {
  repo: RepoName;
  digest: Digest;
  record: ManifestRecord;
  /** The tag to point at the manifest (a put by tag); absent for a put by digest. */
  tag?: string;
  /** Who pushed: a put by tag records `push` (and `tag` when it moved the tag) under this name. */
  actor: string;
}

/**
 * What a put did, or why it wrote nothing:
 * - stored: manifest, tag, blob references, referrer entry and events are written;
 *   `movedFrom` is the manifest the tag pointed to before, when the put moved it;
 * - missing: blobs of `record.blobs` not linked to the repository, or children of
 *   `record.children` not stored in it (at most 20 listed, `count` is all of them);
 * - immutable: the repository has immutable tags and the tag points to `current`.
 */
export type PutManifestOutcome =
  | { kind: 'stored'; movedFrom?: Digest }
  | { kind: 'missing'; digests: Digest[]; count: number }
  | { kind: 'immutable'; current: Digest };

/**
 * What a delete did: removed (with its event), unknown (nothing to delete), or refused because
 * tags are immutable in the repository: `digest` is the manifest, `tags` the tags pointing to
 * it (at most 20 listed, `count` is all of them).
 */
export type DeleteOutcome =
  | { kind: 'deleted' }
  | { kind: 'unknown' }
  | { kind: 'immutable'; digest: Digest; tags: string[]; count: number };

export interface BlobLink {
  /** The blob had no record before this link. */
  newBlob: boolean;
  /** The repository did not hold the blob before this link. */
  newLink: boolean;
}

export interface ListOptions {
  /** Items strictly after this name, in code-point order. */
  after?: string;
  limit: number;
}

export interface RegistryMetadata {
  // Repositories.

  getRepository(name: string): Promise<RepositoryRecord | undefined>;
  /**
   * Creates a repository with its `create` event by `actor`; false (nothing written) when it
   * exists already.
   */
  createRepository(name: RepoName, record: RepositoryRecord, actor: string): Promise<boolean>;
  /**
   * Changes visibility, tag immutability and the pull policy and records a `settings` event by `actor`, at once;
   * undefined when the repository does not exist.
   */
  updateRepository(
    name: string,
    patch: Pick<RepositoryRecord, 'visibility' | 'immutableTags' | 'blockPullsAtSeverity'>,
    actor: string,
    at: number,
  ): Promise<RepositoryRecord | undefined>;
  /**
   * Removes a repository and everything that is its own, at once: tags, manifests, blob links
   * and references, referrers, events, and the team grants on it. Blob records stay for the
   * garbage collector, since other repositories may hold the blobs.
   */
  deleteRepository(name: string): Promise<void>;
  /** Repositories in name order, only those `<namespace>/...` when given. */
  listRepositories(options: ListOptions & { namespace?: string }): Promise<RepositoryEntry[]>;
  /** Namespaces (first segment of names that have one) holding repositories, in order. */
  listNamespaces(options: ListOptions): Promise<string[]>;
  countRepositories(): Promise<number>;

  // Blobs.

  getBlob(digest: Digest): Promise<BlobRecord | undefined>;
  /** Whether `repo` holds `digest`. */
  hasBlob(repo: RepoName, digest: Digest): Promise<boolean>;
  /** The size of `digest` when `repo` holds it, in one read: every blob GET and redirect asks. */
  blobSizeIn(repo: RepoName, digest: Digest): Promise<number | undefined>;
  /** Records `digest` as part of `repo` (creating the repository record if needed), at `at`. */
  linkBlob(repo: RepoName, digest: Digest, size: number, at: number): Promise<BlobLink>;
  /** Takes back what `linkBlob` added (its bytes never landed): the new link, the new record. */
  revertLink(repo: RepoName, digest: Digest, link: BlobLink): Promise<void>;
  /** Removes `digest` from `repo`; false when the repository did not hold it. */
  unlinkBlob(repo: RepoName, digest: Digest): Promise<boolean>;
  /** Distinct blobs recorded and their total size. */
  blobTotals(): Promise<{ blobs: number; bytes: number }>;

  // Manifests, tags and referrers.

  /** The digest a tag or digest reference names in `repo`; undefined when unknown. */
  resolve(repo: RepoName, reference: Reference): Promise<Digest | undefined>;
  getManifest(repo: RepoName, digest: Digest): Promise<ManifestRecord | undefined>;
  /**
   * Checks the references (inside the transaction, so a concurrent garbage collection cannot
   * remove a blob between the check and the reference that protects it) and the tag's
   * immutability, then writes everything at once, creating the repository record if needed.
   * A manifest put again keeps its first `createdAt`.
   */
  putManifest(input: PutManifestInput): Promise<PutManifestOutcome>;
  /** Removes the manifest, its blob references, the tags pointing to it and its referrer entry. */
  deleteManifest(repo: RepoName, digest: Digest, actor: string, at: number): Promise<DeleteOutcome>;
  /**
   * Removes one tag, with its `untag` event. With `pruned` (a pruning run), only while the tag
   * still points to `pruned.digest` (checked in the same transaction; `unknown` otherwise), and
   * the event is `prune`, with that digest.
   */
  deleteTag(
    repo: RepoName,
    tag: string,
    actor: string,
    at: number,
    pruned?: { digest: Digest },
  ): Promise<DeleteOutcome>;
  /**
   * A pruning run's batch of manifests of `repo`: in ONE transaction, deletes those of `digests`
   * that are then untagged and referenced only by manifests that go too (not a child of an index
   * that stays, not the subject of a referrer that stays: main/metadata/prunable-manifests.ts),
   * with their blob references and referrer entries, and records a `prune` event by `actor` for
   * each; returns the deleted, in the order given. With `dryRun`, writes nothing and answers as
   * if the tags `dryRun.withoutTags` were already deleted (what the run would delete).
   */
  pruneManifests(
    repo: RepoName,
    digests: readonly Digest[],
    actor: string,
    at: number,
    dryRun?: { withoutTags: readonly string[] },
  ): Promise<Digest[]>;
  /** Tags of `repo` in name order. */
  listTags(repo: string, options: ListOptions): Promise<TagEntry[]>;
  /** How many tags `repo` has and, among the first `scan` of them, the latest `updatedAt`. */
  tagSummary(repo: string, scan: number): Promise<{ count: number; lastUpdatedAt?: number }>;
  /**
   * The total size of the distinct blobs linked to `repo` (what deleting it alone could free at
   * most), reading at most `scan` links; `complete` is false when it has more.
   */
  repositoryBytes(repo: string, scan: number): Promise<{ bytes: number; complete: boolean }>;
  /** Manifests of `repo` whose subject is `subject`, in digest order. */
  listReferrers(repo: RepoName, subject: Digest): Promise<ReferrerEntry[]>;

  // Events.

  /** The newest `limit` events of a repository, newest first. */
  listEvents(repo: string, limit: number): Promise<RepositoryEvent[]>;

  // Garbage collection and repair.

  /** Blobs linked before `cutoff` that no manifest references. */
  collectableBlobs(cutoff: number): Promise<Digest[]>;
  /**
   * Removes the blob's record and every repository link to it, at once, if it is still linked
   * before `cutoff` and unreferenced when the transaction runs; returns its size, or undefined
   * when it is kept. With `dryRun` nothing is removed.
   */
  collectBlob(digest: Digest, cutoff: number, dryRun: boolean): Promise<number | undefined>;
  /** Every blob digest recorded. */
  listBlobDigests(): Promise<Digest[]>;
  /** Removes the records of blobs whose bytes are gone, and every repository link to them. */
  dropBlobs(digests: Digest[]): Promise<void>;
  /** Repositories with a manifest that references `digest`. */
  referencingRepositories(digest: Digest): Promise<string[]>;
  /** Records a blob again (its bytes were found) and links it to `repos`. */
  reindexBlob(digest: Digest, size: number, repos: string[], at: number): Promise<void>;

  // Upload sessions.

  getUpload(id: string): Promise<UploadRecord | undefined>;
  putUpload(id: string, record: UploadRecord): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** Sessions last updated before `cutoff`. */
  listIdleUploads(cutoff: number): Promise<string[]>;

  /** Resolves when the backend answers a read; rejects with its error otherwise. */
  ping(): Promise<void>;
}
