/**
 * @module `RegistryMetadata` in LMDB (tables drawn in registry-tables.ts). Every multi-record
 * write is one `writeAtomically` transaction (a throw rolls back what it wrote); LMDB has one
 * writer at a time, so a check made inside the transaction still holds when its writes commit.
 * Reads run outside transactions on LMDB's snapshots.
 *
 * Also exports what other owners' LMDB implementations need inside their own transactions
 * (`countRepositoriesInNamespace`): owners cooperate here, never through the interfaces.
 */
import { key, prefixRange, splitKey, writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import type {
  DeleteOutcome,
  ManifestRecord,
  PutManifestOutcome,
  RegistryMetadata,
  RepositoryEvent,
  RepositoryRecord,
} from '../registry.js';
import { openRegistryTables, type RegistryTables } from './registry-tables.js';
import { isGarbageCollectionHeld, openGcHolds } from './gc-holds.js';
import { lmdbPruneManifests } from './registry-prune.js';

export interface LmdbRegistryOptions {
  /**
   * Runs inside `deleteRepository`'s transaction to remove what other owners keep about the
   * repository; by default the team grants on it (accounts' `teamAccess` table).
   */
  onRepositoryDeleted?: (name: string) => void;
  /** Runs inside the transaction of every tag delete (by name or with its manifest): pull statistics go with it. */
  onTagDeleted?: (repo: string, tag: string) => void;
  /** The tables to use instead of opening them: tests pass tables whose writes fail. */
  tables?: RegistryTables;
}

/** The registry metadata on LMDB (the type is the owner's interface: nothing LMDB-only leaks). */
export type LmdbRegistryMetadata = RegistryMetadata;

// At most this many digests are listed in a refusal; the count says how many there are.
const MAX_LISTED = 20;

const repositoriesDbs = new WeakMap<RootDatabase, RegistryTables['repositories']>();

/**
 * How many repositories `<namespace>/...` holds. Synchronous, so that another owner's LMDB
 * transaction (removing an account) can refuse while the namespace still has repositories.
 */
export function countRepositoriesInNamespace(root: RootDatabase, namespace: string): number {
  let repositories = repositoriesDbs.get(root);
  if (!repositories) {
    repositories = root.openDB<RepositoryRecord, string>({ name: 'repositories', encoding: 'msgpack' });
    repositoriesDbs.set(root, repositories);
  }
  // '0' follows '/' in code order, so [ns + '/', ns + '0') is exactly the namespace's names.
  return repositories.getKeysCount({ start: `${namespace}/`, end: `${namespace}0` });
}

/** Removes the team grants on `name` (teamAccess: <org> SEP <team> SEP <repo>); inside a transaction. */
function teamGrantRemover(root: RootDatabase): (name: string) => void {
  const teamAccess = root.openDB<unknown, string>({ name: 'teamAccess', encoding: 'msgpack' });
  return (name) => {
    const slash = name.indexOf('/');
    if (slash < 0) return;
    for (const grantKey of [...teamAccess.getKeys(prefixRange([name.slice(0, slash)]))]) {
      if (splitKey(grantKey)[2] === name) void teamAccess.remove(grantKey);
    }
  };
}

export function createLmdbRegistryMetadata(
  root: RootDatabase,
  options: LmdbRegistryOptions = {},
): LmdbRegistryMetadata {
  const db = options.tables ?? openRegistryTables(root);
  const onRepositoryDeleted = options.onRepositoryDeleted ?? teamGrantRemover(root);
  // A backup copying the blobs of its snapshot holds collection (gc-holds.ts).
  const gcHolds = openGcHolds(root);
  const onTagDeleted = options.onTagDeleted ?? (() => {});
  const transaction = <T>(fn: () => T): Promise<T> => writeAtomically(root, fn);
  let sequence = 0;

  /** Writes one event; call inside a transaction. */
  const putEvent = (repo: string, event: RepositoryEvent): void => {
    sequence = (sequence + 1) % 1_000_000;
    const eventKey = key(repo, String(event.at).padStart(15, '0'), String(sequence).padStart(6, '0'));
    void db.events.put(eventKey, event);
  };

  const isReferenced = (digest: string): boolean => {
    for (const _ of db.blobRefs.getKeys({ ...prefixRange([digest]), limit: 1 })) return true;
    return false;
  };

  const missingReferences = (repo: RepoName, record: ManifestRecord): Digest[] => [
    ...record.blobs.filter((blob) => !db.repoBlobs.doesExist(key(repo, blob))),
    ...record.children.filter((child) => !db.manifests.doesExist(key(repo, child))),
  ];

  /** Removes every repository's link to `digest`; inside a transaction. */
  const removeLinks = (digests: ReadonlySet<string>): void => {
    for (const linkKey of [...db.repoBlobs.getKeys()]) {
      if (digests.has(splitKey(linkKey)[1]!)) void db.repoBlobs.remove(linkKey);
    }
  };

  return {
    getRepository: async (name) => db.repositories.get(name),

    createRepository: (name, record, actor) =>
      transaction(() => {
        if (db.repositories.doesExist(name)) return false;
        void db.repositories.put(name, record);
        putEvent(name, { type: 'create', actor, at: record.createdAt });
        return true;
      }),

    updateRepository: (name, patch, actor, at) =>
      transaction(() => {
        const current = db.repositories.get(name);
        if (!current) return undefined;
        const next: RepositoryRecord = {
          ...current,
          ...(patch.visibility !== undefined && { visibility: patch.visibility }),
          ...(patch.immutableTags !== undefined && { immutableTags: patch.immutableTags }),
          ...(patch.blockPullsAtSeverity !== undefined && { blockPullsAtSeverity: patch.blockPullsAtSeverity }),
        };
        void db.repositories.put(name, next);
        putEvent(name, { type: 'settings', actor, at });
        return next;
      }),

    deleteRepository: (name) =>
      transaction(() => {
        const own = prefixRange([name]);
        for (const { key: manifestKey, value } of [...db.manifests.getRange(own)]) {
          const digest = splitKey(manifestKey)[1]!;
          for (const blob of value.blobs) void db.blobRefs.remove(key(blob, name, digest));
          void db.manifests.remove(manifestKey);
        }
        for (const sub of [db.tags, db.repoBlobs, db.referrers, db.events] as const) {
          for (const k of [...sub.getKeys(own)]) void sub.remove(k);
        }
        onRepositoryDeleted(name);
        void db.repositories.remove(name);
      }),

    async listRepositories({ namespace, after, limit }) {
      const bounds: { start?: string; end?: string } =
        namespace !== undefined ? { start: `${namespace}/`, end: `${namespace}0` } : {};
      if (after !== undefined && after >= (bounds.start ?? '')) bounds.start = `${after}\u0000`;
      return [...db.repositories.getRange({ ...bounds, limit })].map(({ key: name, value }) => ({ name, ...value }));
    },

    async listNamespaces({ after, limit }) {
      const names: string[] = [];
      // Skips from one namespace to the next: `<ns>0` is the first key after every `<ns>/...`.
      let start = after !== undefined ? `${after}0` : undefined;
      while (names.length < limit) {
        const [first] = [...db.repositories.getKeys({ ...(start !== undefined && { start }), limit: 1 })];
        if (first === undefined) break;
        const slash = first.indexOf('/');
        if (slash < 0) {
          start = `${first}\u0000`;
          continue;
        }
        names.push(first.slice(0, slash));
        start = `${first.slice(0, slash)}0`;
      }
      return names;
    },

    countRepositories: async () => db.repositories.getKeysCount(),

    getBlob: async (digest) => db.blobs.get(digest),

    hasBlob: async (repo, digest) => db.repoBlobs.doesExist(key(repo, digest)),

    blobSizeIn: async (repo, digest) =>
      db.repoBlobs.doesExist(key(repo, digest)) ? db.blobs.get(digest)?.size : undefined,

    linkBlob: (repo, digest, size, at) =>
      transaction(() => {
        if (!db.repositories.doesExist(repo)) void db.repositories.put(repo, { createdAt: at });
        const existing = db.blobs.get(digest);
        const newLink = !db.repoBlobs.doesExist(key(repo, digest));
        void db.blobs.put(digest, { size, createdAt: existing?.createdAt ?? at, linkedAt: at });
        void db.repoBlobs.put(key(repo, digest), { linkedAt: at });
        return { newBlob: existing === undefined, newLink };
      }),

    revertLink: (repo, digest, link) =>
      transaction(() => {
        if (link.newLink) void db.repoBlobs.remove(key(repo, digest));
        if (link.newBlob) void db.blobs.remove(digest);
      }),

    unlinkBlob: (repo, digest) =>
      transaction(() => {
        if (!db.repoBlobs.doesExist(key(repo, digest))) return false;
        void db.repoBlobs.remove(key(repo, digest));
        return true;
      }),

    async blobTotals() {
      let bytes = 0;
      let blobs = 0;
      for (const { value } of db.blobs.getRange()) {
        bytes += value.size;
        blobs++;
      }
      return { blobs, bytes };
    },

    async resolve(repo, reference) {
      if (reference.kind === 'digest')
        return db.manifests.doesExist(key(repo, reference.digest)) ? reference.digest : undefined;
      return db.tags.get(key(repo, reference.tag))?.digest;
    },

    getManifest: async (repo, digest) => db.manifests.get(key(repo, digest)),

    putManifest: ({ repo, digest, record, tag, actor }) =>
      transaction((): PutManifestOutcome => {
        // Every refusal is decided before the first write (and the transaction rolls back
        // anyway on a throw): a refused push must leave no manifest that would keep its blobs.
        const missing = missingReferences(repo, record);
        if (missing.length > 0)
          return { kind: 'missing', digests: missing.slice(0, MAX_LISTED), count: missing.length };
        const repository = db.repositories.get(repo);
        const previous = tag !== undefined ? db.tags.get(key(repo, tag)) : undefined;
        if (previous && previous.digest !== digest && repository?.immutableTags)
          return { kind: 'immutable', current: previous.digest };
        for (const blob of record.blobs) void db.blobRefs.put(key(blob, repo, digest), true);
        if (!repository) void db.repositories.put(repo, { createdAt: record.createdAt });
        const existing = db.manifests.get(key(repo, digest));
        void db.manifests.put(key(repo, digest), existing ? { ...record, createdAt: existing.createdAt } : record);
        if (record.subject) {
          void db.referrers.put(key(repo, record.subject, digest), {
            mediaType: record.mediaType,
            size: record.size,
            ...(record.artifactType !== undefined && { artifactType: record.artifactType }),
            ...(record.annotations && { annotations: record.annotations }),
          });
        }
        if (tag === undefined) return { kind: 'stored' };
        const at = record.createdAt;
        void db.tags.put(key(repo, tag), { digest, updatedAt: at });
        putEvent(repo, { type: 'push', actor, at, tag, digest });
        if (!previous || previous.digest === digest) return { kind: 'stored' };
        putEvent(repo, { type: 'tag', actor, at, tag, digest });
        return { kind: 'stored', movedFrom: previous.digest };
      }),

    deleteManifest: (repo, digest, actor, at) =>
      transaction((): DeleteOutcome => {
        const record = db.manifests.get(key(repo, digest));
        if (!record) return { kind: 'unknown' };
        const tagKeys = [...db.tags.getRange(prefixRange([repo]))]
          .filter(({ value }) => value.digest === digest)
          .map(({ key: tagKey }) => tagKey);
        // Deleting the manifest would delete its tags with it, which is a tag delete too.
        if (tagKeys.length > 0 && db.repositories.get(repo)?.immutableTags === true)
          return {
            kind: 'immutable',
            digest,
            tags: tagKeys.slice(0, MAX_LISTED).map((tagKey) => splitKey(tagKey)[1]!),
            count: tagKeys.length,
          };
        void db.manifests.remove(key(repo, digest));
        for (const blob of record.blobs) void db.blobRefs.remove(key(blob, repo, digest));
        for (const tagKey of tagKeys) {
          void db.tags.remove(tagKey);
          onTagDeleted(repo, splitKey(tagKey)[1]!);
        }
        if (record.subject) void db.referrers.remove(key(repo, record.subject, digest));
        putEvent(repo, { type: 'delete', actor, at, digest });
        return { kind: 'deleted' };
      }),

    deleteTag: (repo, tag, actor, at, pruned) =>
      transaction((): DeleteOutcome => {
        const tagged = db.tags.get(key(repo, tag));
        if (!tagged || (pruned && tagged.digest !== pruned.digest)) return { kind: 'unknown' };
        if (db.repositories.get(repo)?.immutableTags === true)
          return { kind: 'immutable', digest: tagged.digest, tags: [tag], count: 1 };
        void db.tags.remove(key(repo, tag));
        onTagDeleted(repo, tag);
        putEvent(
          repo,
          pruned ? { type: 'prune', actor, at, tag, digest: pruned.digest } : { type: 'untag', actor, at, tag },
        );
        return { kind: 'deleted' };
      }),

    pruneManifests: lmdbPruneManifests({ db, transaction, putEvent }),

    async listTags(repo, { after, limit }) {
      return [...db.tags.getRange({ ...prefixRange([repo], after), limit })].map(({ key: tagKey, value }) => ({
        name: splitKey(tagKey)[1]!,
        digest: value.digest,
        updatedAt: value.updatedAt,
      }));
    },

    async tagSummary(repo, scan) {
      const range = prefixRange([repo]);
      let lastUpdatedAt: number | undefined;
      for (const { value } of db.tags.getRange({ ...range, limit: scan })) {
        if (lastUpdatedAt === undefined || value.updatedAt > lastUpdatedAt) lastUpdatedAt = value.updatedAt;
      }
      return { count: db.tags.getKeysCount(range), ...(lastUpdatedAt !== undefined && { lastUpdatedAt }) };
    },

    async repositoryBytes(repo, scan) {
      let bytes = 0;
      let read = 0;
      for (const k of db.repoBlobs.getKeys({ ...prefixRange([repo]), limit: scan + 1 })) {
        if (++read > scan) return { bytes, complete: false };
        bytes += db.blobs.get(splitKey(k)[1]!)?.size ?? 0;
      }
      return { bytes, complete: true };
    },

    async listReferrers(repo, subject) {
      return [...db.referrers.getRange(prefixRange([repo, subject]))].map(({ key: k, value }) => ({
        digest: splitKey(k)[2] as Digest,
        mediaType: value.mediaType,
        size: value.size,
        ...(value.artifactType !== undefined && { artifactType: value.artifactType }),
        ...(value.annotations && { annotations: value.annotations }),
      }));
    },

    async listEvents(repo, limit) {
      const { start, end } = prefixRange([repo]);
      return [...db.events.getRange({ start: end, end: start, reverse: true, limit })].map(({ value }) => value);
    },

    async collectableBlobs(cutoff) {
      const candidates: Digest[] = [];
      if (isGarbageCollectionHeld(gcHolds, Date.now())) return candidates;
      for (const { key: digest, value } of db.blobs.getRange()) {
        if (value.linkedAt < cutoff && !isReferenced(digest)) candidates.push(digest as Digest);
      }
      return candidates;
    },

    collectBlob: (digest, cutoff, dryRun) =>
      transaction(() => {
        const record = db.blobs.get(digest);
        if (!record || record.linkedAt >= cutoff || isReferenced(digest)) return undefined;
        // Checked here too: a hold written after `collectableBlobs` listed this blob.
        if (isGarbageCollectionHeld(gcHolds, Date.now())) return undefined;
        if (!dryRun) {
          void db.blobs.remove(digest);
          // Links are keyed by repository first: probe each repository rather than scan every link.
          for (const repo of [...db.repositories.getKeys()]) {
            if (db.repoBlobs.doesExist(key(repo, digest))) void db.repoBlobs.remove(key(repo, digest));
          }
        }
        return record.size;
      }),

    listBlobDigests: async () => [...db.blobs.getKeys()] as Digest[],

    dropBlobs: (digests) =>
      transaction(() => {
        for (const digest of digests) void db.blobs.remove(digest);
        removeLinks(new Set(digests));
      }),

    async referencingRepositories(digest) {
      const repos = new Set<string>();
      for (const refKey of db.blobRefs.getKeys(prefixRange([digest]))) repos.add(splitKey(refKey)[1]!);
      return [...repos];
    },

    reindexBlob: (digest, size, repos, at) =>
      transaction(() => {
        void db.blobs.put(digest, { size, createdAt: at, linkedAt: at });
        for (const repo of repos) void db.repoBlobs.put(key(repo, digest), { linkedAt: at });
      }),

    getUpload: async (id) => db.uploads.get(id),

    putUpload: async (id, record) => {
      await db.uploads.put(id, record);
    },

    deleteUpload: async (id) => {
      await db.uploads.remove(id);
    },

    async listIdleUploads(cutoff) {
      return [...db.uploads.getRange()].filter(({ value }) => value.updatedAt < cutoff).map(({ key: id }) => id);
    },

    async ping() {
      db.repositories.getKeysCount({ limit: 1 });
    },
  };
}
