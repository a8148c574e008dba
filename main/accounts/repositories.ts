/**
 * @module Repositories as objects: create, list, read, change settings, delete, and the event
 * log of what happened to each (who pushed, tagged or deleted what, and when).
 *
 * Every operation takes the caller's principal and applies the repository rules of
 * permissions.ts through `AccessControl`: a repository the caller may not pull is reported as
 * not existing (as DTR does), so private names do not leak. Changing settings and deleting
 * need the `delete` action, which is exactly "administers the repository" (system admins, the
 * namespace's owner, the organization's admins and teams granted `admin`).
 *
 * Events live in `accountsDb.events`, keyed so that a range scan returns one repository's
 * events in time order:
 *
 *	<repo> NUL <time in ms, 15 digits> NUL <sequence, 6 digits>   RepositoryEvent
 *
 * The sequence orders events written in the same millisecond by this process.
 */
import { key, prefixRange, splitKey } from '../../src/store/lmdb.js';
import { isRepoName, type Reference } from '../../src/oci/reference.js';
import type { MetadataDb, RepositoryRecord } from '../registry/metadata-db.js';
import type { PutManifestResult } from '../registry/manifests.js';
import type { AccountsDb, RepositoryEvent } from './accounts-db.js';
import { namespaceOf, type AccessControl } from './access-control.js';
import type { Principal } from './permissions.js';
import { AccountError } from './errors.js';
import { signedIn } from './account-management.js';

export type Visibility = 'public' | 'private';

export interface RepositoryView {
  /** The first path segment ('' for a top-level name such as `alpine`). */
  namespace: string;
  namespaceType: 'user' | 'organization' | 'none';
  /** The rest of the name, after the namespace. */
  name: string;
  /** The name clients pull (`<namespace>/<name>`). */
  fullName: string;
  visibility: Visibility;
  immutableTags: boolean;
  createdAt: string;
}

export interface RepositorySettings {
  visibility?: Visibility;
  immutableTags?: boolean;
}

export interface EventView {
  type: RepositoryEvent['type'];
  actor: string;
  at: string;
  tag?: string;
  digest?: string;
}

export interface TagView {
  name: string;
  digest: string;
  mediaType: string;
  /** Bytes of the manifest itself. */
  manifestSize: number;
  /** Bytes of the layers it references (for an index: of every child's layers). */
  layersSize: number;
  pushedAt: string;
}

export interface Page {
  /** Items after this name (exclusive). */
  after?: string;
  limit: number;
}

export interface PageOf<T> {
  items: T[];
  /** Where the next page starts (pass as `after`); absent on the last page. */
  next?: string;
}

export interface RepositoriesDeps {
  db: MetadataDb;
  accountsDb: AccountsDb;
  accessControl: AccessControl;
  now: () => number;
}

const VISIBILITIES: ReadonlySet<string> = new Set(['public', 'private']);

/** The name an actor is recorded under. */
export const actorOf = (principal: Principal): string => (principal.kind === 'user' ? principal.name : 'anonymous');

export function createRepositories({ db, accountsDb, accessControl, now }: RepositoriesDeps) {
  let sequence = 0;

  const namespaceType = (namespace: string): RepositoryView['namespaceType'] =>
    accountsDb.users.doesExist(namespace) ? 'user' : accountsDb.orgs.doesExist(namespace) ? 'organization' : 'none';

  const toView = (fullName: string, record: RepositoryRecord): RepositoryView => {
    const namespace = namespaceOf(fullName) ?? '';
    return {
      namespace,
      namespaceType: namespace ? namespaceType(namespace) : 'none',
      name: namespace ? fullName.slice(namespace.length + 1) : fullName,
      fullName,
      visibility: record.visibility ?? 'private',
      immutableTags: record.immutableTags ?? false,
      createdAt: new Date(record.createdAt).toISOString(),
    };
  };

  const may = async (principal: Principal, name: string, action: 'pull' | 'delete') =>
    (await accessControl.actionsFor(principal, name)).includes(action);

  /** The record when it exists and the caller may pull it; NOT_FOUND otherwise (same answer both ways). */
  async function visible(principal: Principal, name: string): Promise<RepositoryRecord> {
    const record = isRepoName(name) ? db.repositories.get(name) : undefined;
    if (!record || !(await may(principal, name, 'pull')))
      throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
    return record;
  }

  async function administered(principal: Principal, name: string): Promise<RepositoryRecord> {
    signedIn(principal);
    const record = await visible(principal, name);
    if (!(await may(principal, name, 'delete')))
      throw new AccountError('NO_PERMISSION', `only administrators of "${name}" may change or delete it`);
    return record;
  }

  function checkSettings(input: RepositorySettings): RepositorySettings {
    if (input.visibility !== undefined && !VISIBILITIES.has(input.visibility))
      throw new AccountError('INVALID_INPUT', 'visibility must be public or private');
    if (input.immutableTags !== undefined && typeof input.immutableTags !== 'boolean')
      throw new AccountError('INVALID_INPUT', 'immutableTags must be true or false');
    return input;
  }

  /** Writes one event; its key sorts by time, then by the order this process wrote it. */
  const putEvent = (repo: string, event: Omit<RepositoryEvent, 'at'>, at = now()) => {
    sequence = (sequence + 1) % 1_000_000;
    return accountsDb.events.put(key(repo, String(at).padStart(15, '0'), String(sequence).padStart(6, '0')), {
      ...event,
      at,
    });
  };

  /** Sum of the layer sizes of one manifest (an image's `blobs` are its config, then its layers). */
  function layersSize(repo: string, digest: string, depth = 0): number {
    const record = db.manifests.get(key(repo, digest));
    if (!record) return 0;
    if (record.children.length > 0) {
      return depth > 0 ? 0 : record.children.reduce((sum, child) => sum + layersSize(repo, child, depth + 1), 0);
    }
    return record.blobs.slice(1).reduce((sum, blob) => sum + (db.blobs.get(blob)?.size ?? 0), 0);
  }

  return {
    /**
     * Creates `<namespace>/<name>`. The namespace must be an existing user or organization the
     * caller may write to (their own, an organization they administer, or any for admins).
     * Throws UNAUTHORIZED, NOT_FOUND, NO_PERMISSION, INVALID_INPUT or ALREADY_EXISTS.
     */
    async create(
      principal: Principal,
      namespace: string,
      input: { name: string } & RepositorySettings,
    ): Promise<RepositoryView> {
      const user = signedIn(principal);
      const kind = namespaceType(namespace);
      const writable =
        user.isAdmin ||
        user.name === namespace ||
        (kind === 'organization' && (await accessControl.isOrgAdmin(user.name, namespace)));
      // Permission first: only admins (who see every account anyway) learn that a name is free.
      if (!writable)
        throw new AccountError('NO_PERMISSION', `${user.name} may not create repositories in "${namespace}"`);
      if (kind === 'none') {
        throw new AccountError('NOT_FOUND', `namespace "${namespace}" is not a user or an organization`);
      }
      const fullName = `${namespace}/${input.name}`;
      if (typeof input.name !== 'string' || input.name.includes('/') || !isRepoName(fullName)) {
        throw new AccountError(
          'INVALID_INPUT',
          'repository name must be lowercase letters and digits with single separators (. _ __ -), one path segment',
        );
      }
      const settings = checkSettings(input);
      const record: RepositoryRecord = {
        createdAt: now(),
        visibility: settings.visibility ?? 'private',
        immutableTags: settings.immutableTags ?? false,
      };
      const created = await db.transaction(() => {
        if (db.repositories.doesExist(fullName)) return false;
        db.repositories.put(fullName, record);
        // In the same transaction: a repository never exists without its `create` event.
        void putEvent(fullName, { type: 'create', actor: user.name }, record.createdAt);
        return true;
      });
      if (!created) throw new AccountError('ALREADY_EXISTS', `repository "${fullName}" already exists`);
      return toView(fullName, record);
    },

    /**
     * Repositories the caller may pull, in name order, optionally only those of one namespace.
     * A namespace that is no account lists as one with nothing the caller may see (empty): an
     * error there would tell anyone which user and organization names exist.
     */
    async list(principal: Principal, options: Page & { namespace?: string }): Promise<PageOf<RepositoryView>> {
      const { namespace, after, limit } = options;
      // '0' follows '/' in code order, so [ns + '/', ns + '0') is exactly the namespace's names.
      const bounds: { start?: string; end?: string } =
        namespace !== undefined ? { start: `${namespace}/`, end: `${namespace}0` } : {};
      if (after !== undefined && after >= (bounds.start ?? '')) bounds.start = `${after}\u0000`;
      const items: RepositoryView[] = [];
      // In batches: the permission check awaits, and no LMDB read may stay open across an await.
      for (;;) {
        const batch = [...db.repositories.getRange({ ...bounds, limit: 100 })];
        for (const { key: name, value } of batch) {
          if (!(await may(principal, name, 'pull'))) continue;
          if (items.length === limit) return { items, next: items[items.length - 1]!.fullName };
          items.push(toView(name, value));
        }
        if (batch.length < 100) return { items };
        bounds.start = `${batch[batch.length - 1]!.key}\u0000`;
      }
    },

    /** The repository, or NOT_FOUND (also when the caller may not pull it). */
    async get(principal: Principal, name: string): Promise<RepositoryView> {
      return toView(name, await visible(principal, name));
    },

    /** Changes visibility and tag immutability; records a `settings` event. */
    async update(principal: Principal, name: string, patch: RepositorySettings): Promise<RepositoryView> {
      await administered(principal, name);
      checkSettings(patch);
      const updated = await db.transaction(() => {
        const current = db.repositories.get(name);
        if (!current) return undefined;
        const next: RepositoryRecord = {
          ...current,
          ...(patch.visibility !== undefined && { visibility: patch.visibility }),
          ...(patch.immutableTags !== undefined && { immutableTags: patch.immutableTags }),
        };
        db.repositories.put(name, next);
        void putEvent(name, { type: 'settings', actor: actorOf(principal) });
        return next;
      });
      if (!updated) throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
      return toView(name, updated);
    },

    /**
     * Removes the repository and everything that is its own, in one transaction: tags,
     * manifests, blob links and references, referrers, events and team grants. Blob files
     * stay for the garbage collector, since other repositories may hold them too.
     */
    async delete(principal: Principal, name: string): Promise<void> {
      await administered(principal, name);
      const namespace = namespaceOf(name);
      await db.transaction(() => {
        const own = prefixRange([name]);
        for (const { key: manifestKey, value } of [...db.manifests.getRange(own)]) {
          const digest = splitKey(manifestKey)[1]!;
          for (const blob of value.blobs) db.blobRefs.remove(key(blob, name, digest));
          db.manifests.remove(manifestKey);
        }
        for (const sub of [db.tags, db.repoBlobs, db.referrers, accountsDb.events] as const) {
          for (const k of [...sub.getKeys(own)]) sub.remove(k);
        }
        if (namespace !== undefined) {
          for (const grantKey of [...accountsDb.teamAccess.getKeys(prefixRange([namespace]))]) {
            if (splitKey(grantKey)[2] === name) accountsDb.teamAccess.remove(grantKey);
          }
        }
        db.repositories.remove(name);
      });
    },

    /** The newest `limit` events of a repository the caller may pull, newest first. */
    async events(principal: Principal, name: string, limit: number): Promise<EventView[]> {
      await visible(principal, name);
      const { start, end } = prefixRange([name]);
      return [...accountsDb.events.getRange({ start: end, end: start, reverse: true, limit })].map(({ value }) => ({
        type: value.type,
        actor: value.actor,
        at: new Date(value.at).toISOString(),
        ...(value.tag !== undefined && { tag: value.tag }),
        ...(value.digest !== undefined && { digest: value.digest }),
      }));
    },

    /** Tags in name order with what each points at, its sizes and when it was pushed. */
    async tags(principal: Principal, name: string, page: Page): Promise<PageOf<TagView>> {
      await visible(principal, name);
      const items: TagView[] = [];
      for (const { key: tagKey, value } of db.tags.getRange(prefixRange([name], page.after))) {
        const tag = splitKey(tagKey)[1]!;
        if (items.length === page.limit) return { items, next: items[items.length - 1]!.name };
        const manifest = db.manifests.get(key(name, value.digest));
        items.push({
          name: tag,
          digest: value.digest,
          mediaType: manifest?.mediaType ?? '',
          manifestSize: manifest?.size ?? 0,
          layersSize: layersSize(name, value.digest),
          pushedAt: new Date(value.updatedAt).toISOString(),
        });
      }
      return { items };
    },

    /**
     * Records a manifest put by a registry client: `push` for a put by tag, and `tag` as well
     * when it moved that tag away from another manifest. Puts by digest are not logged.
     */
    async recordPush(
      repo: string,
      principal: Principal,
      reference: Reference,
      result: PutManifestResult,
    ): Promise<void> {
      if (reference.kind !== 'tag') return;
      const actor = actorOf(principal);
      const at = now();
      // Both events or neither.
      await accountsDb.transaction(() => {
        void putEvent(repo, { type: 'push', actor, tag: reference.tag, digest: result.digest }, at);
        if (result.movedFrom)
          void putEvent(repo, { type: 'tag', actor, tag: reference.tag, digest: result.digest }, at);
      });
    },

    /** Records a manifest delete: `untag` for a reference by tag, `delete` for one by digest. */
    async recordDelete(repo: string, principal: Principal, reference: Reference): Promise<void> {
      const actor = actorOf(principal);
      await putEvent(
        repo,
        reference.kind === 'tag'
          ? { type: 'untag', actor, tag: reference.tag }
          : { type: 'delete', actor, digest: reference.digest },
      );
    },

    count: () => db.repositories.getKeysCount(),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
