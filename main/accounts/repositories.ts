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
 * Records and events belong to the registry metadata owner (main/metadata/registry.ts), which
 * writes each change with its event at once; pushes and deletes by registry clients record
 * theirs through main/registry/manifests.ts.
 */
import { isRepoName, type RepoName } from '../../src/oci/reference.js';
import { platformSizes, type PlatformSize } from '../images/platforms.js';
import type { PullBlockSeverity, RegistryMetadata, RepositoryEvent, RepositoryRecord } from '../metadata/registry.js';
import type { AccountStore } from '../metadata/accounts.js';
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
  /** Pulls of images with findings at or above this severity are refused; "none" refuses nothing. */
  blockPullsAtSeverity: PullBlockSeverity;
  createdAt: string;
}

export interface RepositorySettings {
  visibility?: Visibility;
  immutableTags?: boolean;
  blockPullsAtSeverity?: PullBlockSeverity;
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
  /**
   * Compressed bytes of the layers a pull downloads: for an index, those of its largest platform
   * (a client pulls one platform, never all of them).
   */
  layersSize: number;
  /** For an index: each image platform with its own compressed size, in the index's order. */
  platforms?: PlatformSize[];
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
  metadata: RegistryMetadata;
  /** Whether a namespace is a user's or an organization's. */
  accounts: Pick<AccountStore, 'accountType'>;
  accessControl: AccessControl;
  now: () => number;
}

const VISIBILITIES: ReadonlySet<string> = new Set(['public', 'private']);
export const PULL_BLOCK_SEVERITIES: readonly PullBlockSeverity[] = ['critical', 'high', 'medium', 'low', 'none'];

/** The name an actor is recorded under. */
export const actorOf = (principal: Principal): string => (principal.kind === 'user' ? principal.name : 'anonymous');

// Repositories read per batch while a listing filters them by what the caller may pull.
const LIST_BATCH = 200;
// Names a search reads per page, matching or not: past this it answers what it found, with `next`
// where to go on, so a rare term in a large registry costs many pages, never one unbounded request.
const SEARCH_SCAN_LIMIT = 20_000;
/** The longest search term. */
export const MAX_SEARCH_LENGTH = 100;

export function createRepositories({ metadata, accounts, accessControl, now }: RepositoriesDeps) {
  const namespaceType = async (namespace: string): Promise<RepositoryView['namespaceType']> =>
    (await accounts.accountType(namespace)) ?? 'none';

  const toView = async (fullName: string, record: RepositoryRecord): Promise<RepositoryView> => {
    const namespace = namespaceOf(fullName) ?? '';
    return {
      namespace,
      namespaceType: namespace ? await namespaceType(namespace) : 'none',
      name: namespace ? fullName.slice(namespace.length + 1) : fullName,
      fullName,
      visibility: record.visibility ?? 'private',
      immutableTags: record.immutableTags ?? false,
      blockPullsAtSeverity: record.blockPullsAtSeverity ?? 'none',
      createdAt: new Date(record.createdAt).toISOString(),
    };
  };

  const may = async (principal: Principal, name: string, action: 'pull' | 'delete') =>
    (await accessControl.actionsFor(principal, name)).includes(action);

  /** The record when it exists and the caller may pull it; NOT_FOUND otherwise (same answer both ways). */
  async function visible(principal: Principal, name: string): Promise<RepositoryRecord> {
    const record = isRepoName(name) ? await metadata.getRepository(name) : undefined;
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
    if (input.blockPullsAtSeverity !== undefined && !PULL_BLOCK_SEVERITIES.includes(input.blockPullsAtSeverity))
      throw new AccountError(
        'INVALID_INPUT',
        `blockPullsAtSeverity must be one of ${PULL_BLOCK_SEVERITIES.join(', ')}`,
      );
    return input;
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
      const kind = await namespaceType(namespace);
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
        ...(settings.blockPullsAtSeverity !== undefined && { blockPullsAtSeverity: settings.blockPullsAtSeverity }),
      };
      // With its `create` event, at once: a repository never exists without it.
      const created = await metadata.createRepository(fullName, record, user.name);
      if (!created) throw new AccountError('ALREADY_EXISTS', `repository "${fullName}" already exists`);
      return toView(fullName, record);
    },

    /**
     * One page of the repositories the caller may pull, in name order, optionally only those of
     * one namespace and those whose full name contains `search` (any case). A namespace that is
     * no account lists as one with nothing the caller may see (empty): an error there would tell
     * anyone which user and organization names exist.
     */
    async list(
      principal: Principal,
      options: Page & { namespace?: string; search?: string },
    ): Promise<PageOf<RepositoryView>> {
      const { namespace, limit } = options;
      const term = options.search?.trim().toLowerCase();
      if (term !== undefined && term.length > MAX_SEARCH_LENGTH)
        throw new AccountError('INVALID_INPUT', `a search term has at most ${MAX_SEARCH_LENGTH} characters`);
      let after = options.after;
      let scanned = 0;
      const items: RepositoryView[] = [];
      for (;;) {
        const batch = await metadata.listRepositories({
          limit: LIST_BATCH,
          ...(namespace !== undefined && { namespace }),
          ...(after !== undefined && { after }),
        });
        for (const { name, ...record } of batch) {
          if (term && ++scanned > SEARCH_SCAN_LIMIT) return { items, next: after ?? name };
          after = name;
          if (term && !name.toLowerCase().includes(term)) continue;
          if (!(await may(principal, name, 'pull'))) continue;
          if (items.length === limit) return { items, next: items[items.length - 1]!.fullName };
          items.push(await toView(name, record));
        }
        if (batch.length < LIST_BATCH) return { items };
      }
    },

    /** The repository, or NOT_FOUND (also when the caller may not pull it). */
    async get(principal: Principal, name: string): Promise<RepositoryView> {
      return toView(name, await visible(principal, name));
    },

    /** Changes visibility, tag immutability and the pull policy; records a `settings` event. */
    async update(principal: Principal, name: string, patch: RepositorySettings): Promise<RepositoryView> {
      await administered(principal, name);
      checkSettings(patch);
      const updated = await metadata.updateRepository(name, patch, actorOf(principal), now());
      if (!updated) throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
      return toView(name, updated);
    },

    /**
     * Removes the repository and everything that is its own, at once: tags, manifests, blob
     * links and references, referrers, events and team grants. Blob files stay for the garbage
     * collector, since other repositories may hold them too.
     */
    async delete(principal: Principal, name: string): Promise<void> {
      await administered(principal, name);
      await metadata.deleteRepository(name);
    },

    /** The record when the caller administers the repository (pruning policies); NOT_FOUND or NO_PERMISSION otherwise. */
    administer: administered,

    /** The newest `limit` events of a repository the caller may pull, newest first. */
    async events(principal: Principal, name: string, limit: number): Promise<EventView[]> {
      await visible(principal, name);
      return (await metadata.listEvents(name, limit)).map((value) => ({
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
      const repo = name as RepoName;
      const tags = await metadata.listTags(repo, {
        limit: page.limit + 1,
        ...(page.after !== undefined && { after: page.after }),
      });
      const items: TagView[] = [];
      for (const tag of tags.slice(0, page.limit)) {
        const manifest = await metadata.getManifest(repo, tag.digest);
        const platforms = await platformSizes(metadata, repo, tag.digest);
        items.push({
          name: tag.name,
          digest: tag.digest,
          mediaType: manifest?.mediaType ?? '',
          manifestSize: manifest?.size ?? 0,
          layersSize: Math.max(0, ...platforms.map((p) => p.compressedSize)),
          ...(manifest && manifest.children.length > 0 && { platforms }),
          pushedAt: new Date(tag.updatedAt).toISOString(),
        });
      }
      return tags.length > page.limit ? { items, next: items[items.length - 1]!.name } : { items };
    },

    count: () => metadata.countRepositories(),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
