/**
 * @module The records an installation is copied as, from one backend to another (`outpost main
 * migrate`): one shape per table, with the key parts LMDB keeps in its keys spelled out as
 * fields. LMDB owners dump them (lmdb/*-dump.ts), PostgreSQL owners load them
 * (postgres/*-load.ts); main/metadata/migrate.ts pairs the two by step name.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { AccessLevel, OrgRecord, TeamRecord, UserRecord } from './accounts.js';
import type { ContentCache, JoinTokenRecord } from './caches.js';
import type { KeyEntry } from './keys.js';
import type { PruningPolicyRecord, TagPulls } from './pruning.js';
import type { BlobRecord, ManifestRecord, RepositoryEntry, RepositoryEvent } from './registry.js';
import type { RefreshTokenRecord, SessionRecord } from './sessions.js';
import type { MetaSettings } from './settings.js';

/** Records in source key order; `last` is the key of the last one, where a resumed dump starts after. */
export interface RecordBatch<T> {
  records: T[];
  last: string;
}

/** One table of the source, dumped in batches from just after `after` (undefined: from the start). */
export interface DumpSource<T> {
  count(): Promise<number>;
  dump(after: string | undefined, batchSize: number): AsyncIterable<RecordBatch<T>>;
}

export interface OrgMembership {
  org: string;
  user: string;
  isAdmin: boolean;
}
export type OrgTeam = TeamRecord & { org: string };
export interface TeamMembership {
  org: string;
  team: string;
  user: string;
}
export interface TeamGrantRow {
  org: string;
  team: string;
  repository: string;
  accessLevel: AccessLevel;
}

export type BlobRow = BlobRecord & { digest: Digest };
export interface RepoBlobRow {
  repo: string;
  digest: Digest;
  linkedAt: number;
}
export interface ManifestRow {
  repo: string;
  digest: Digest;
  record: ManifestRecord;
}
export interface TagRow {
  repo: string;
  tag: string;
  digest: Digest;
  updatedAt: number;
}
export interface ReferrerRow {
  repo: string;
  subject: Digest;
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}
export interface BlobRefRow {
  blob: Digest;
  repo: string;
  manifest: Digest;
}
export interface EventRow {
  repo: string;
  event: RepositoryEvent;
}

export interface SessionRow {
  idHash: string;
  record: SessionRecord;
}
export interface RefreshTokenRow {
  tokenHash: string;
  record: RefreshTokenRecord;
}
export interface JoinTokenRow {
  tokenHash: string;
  record: JoinTokenRecord;
}
export type SigningKeyRow = KeyEntry & { privateKeyPem: string };
export interface PruningPolicyRow {
  repo: string;
  policy: PruningPolicyRecord;
}
export type TagPullRow = TagPulls & { repo: string; tag: string };

/** What each step copies, by name; the names are the progress keys in the target. */
export interface MigrationRecords {
  users: UserRecord;
  orgs: OrgRecord;
  orgMembers: OrgMembership;
  teams: OrgTeam;
  teamMembers: TeamMembership;
  teamGrants: TeamGrantRow;
  settings: MetaSettings;
  repositories: RepositoryEntry;
  blobs: BlobRow;
  repoBlobs: RepoBlobRow;
  manifests: ManifestRow;
  tags: TagRow;
  referrers: ReferrerRow;
  blobRefs: BlobRefRow;
  events: EventRow;
  sessions: SessionRow;
  refreshTokens: RefreshTokenRow;
  caches: ContentCache;
  joinTokens: JoinTokenRow;
  signingKeys: SigningKeyRow;
  pruningPolicies: PruningPolicyRow;
  tagPulls: TagPullRow;
}

export type StepName = keyof MigrationRecords;

/**
 * The order steps run in: a family's foreign keys point only at earlier steps (a tag needs its
 * manifest, a grant its team). Upload sessions are not copied: a client restarts an upload.
 */
export const STEP_ORDER: readonly StepName[] = [
  'users',
  'orgs',
  'orgMembers',
  'teams',
  'teamMembers',
  'teamGrants',
  'settings',
  'repositories',
  'blobs',
  'repoBlobs',
  'manifests',
  'tags',
  'referrers',
  'blobRefs',
  'events',
  'sessions',
  'refreshTokens',
  'caches',
  'joinTokens',
  'signingKeys',
  'pruningPolicies',
  'tagPulls',
];

export type MigrationSource = { [K in StepName]: DumpSource<MigrationRecords[K]> };
