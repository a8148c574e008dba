/**
 * @module `AccountStore` on LMDB, in the environment of the registry metadata (one writer, so a
 * check and the write it guards are one transaction). Keys and values are those of the earlier
 * main/accounts/accounts-db.ts, so existing data directories keep working (SEP is
 * src/store/lmdb.ts `key()`'s separator):
 *
 *	users          <name>                        StoredUser     (UserRecord without its name)
 *	orgs           <name>                        StoredOrg      (OrgRecord without its name)
 *	orgMembers     <org> SEP <user>              { isAdmin }
 *	memberOf       <user> SEP <org>              true           (orgMembers by user, written with it)
 *	accountIndexes 'memberOf'                    1              (once memberOf holds every membership)
 *	teams          <org> SEP <team>              StoredTeam     (TeamRecord without its name)
 *	teamMembers    <org> SEP <team> SEP <user>   true
 *	teamAccess     <org> SEP <team> SEP <repo>   { accessLevel }
 *
 * Lookups on the request path (`namespaceAccess`, `getUser`, `cachePreferences`) are point reads
 * plus one range (the organization's teams, the user's organizations); nothing scans a whole
 * table there. Data directories from before `memberOf` get it built by their first write after
 * the upgrade (or by the first lookup); until then a user's organizations are found by a scan.
 */
import {
  key,
  prefixRange,
  splitKey,
  writeAtomically,
  type Database,
  type RootDatabase,
} from '../../../src/store/lmdb.js';
import { revokeUserCredentials } from './sessions.js';
import type {
  AccessLevel,
  AccountSettings,
  AccountStore,
  AdminGuard,
  NamespaceAccess,
  OrgRecord,
  RemoveOutcome,
  TeamRecord,
  UserRecord,
  UserUpdateOutcome,
} from '../accounts.js';
import { openAccountTables, type AccountTables, type StoredOrg, type StoredUser } from './account-tables.js';
import { countRepositoriesInNamespace } from './registry.js';

export interface LmdbAccountStoreDeps {
  /**
   * Repositories under `<namespace>/`. Called inside the transaction that removes an account,
   * so a push cannot create one between the check and the removal.
   */
  countRepositoriesInNamespace(root: RootDatabase, namespace: string): number;
  /** Ends the user's sessions and refresh tokens; called inside the transaction removing the user. */
  revokeUserCredentials(root: RootDatabase, user: string): number;
}

// lmdb-js refuses keys over ~1978 bytes with an exception: a name that long is no account.
const MAX_NAME_LENGTH = 255;
const fits = (...parts: string[]) => parts.every((p) => p.length <= MAX_NAME_LENGTH);

const toUser = (name: string, { id, ...rest }: StoredUser): UserRecord => ({
  name,
  ...(id !== undefined && { id }),
  ...rest,
});
const toStoredUser = ({ name: _name, ...rest }: UserRecord): StoredUser => rest;
const toOrg = (name: string, stored: StoredOrg): OrgRecord => ({ name, ...stored });
const isActiveAdmin = (u: StoredUser) => u.isAdmin && u.isActive;

/** `tables` is for tests that make one sub-database fail half-way through a transaction. */
export function createLmdbAccountStore(
  root: RootDatabase,
  deps: LmdbAccountStoreDeps = { countRepositoriesInNamespace, revokeUserCredentials },
  t: AccountTables = openAccountTables(root),
): AccountStore {
  // Every write first completes the indexes an earlier version did not keep (once).
  const atomically = <T>(fn: () => T): Promise<T> =>
    writeAtomically(root, () => {
      buildMemberOf(t);
      return fn();
    });
  let memberOfBuilt = false;
  /** The user's organizations; the first lookup without the index has it built. */
  const organizationsOf = (user: string): string[] => {
    if (!memberOfBuilt && !(memberOfBuilt = t.indexes.get('memberOf') === 1)) {
      // A read-only environment cannot build it: the scan goes on answering.
      atomically(() => undefined).catch(() => {});
    }
    return orgsOf(t, user, memberOfBuilt);
  };
  const nameTaken = (name: string) => t.users.doesExist(name) || t.orgs.doesExist(name);

  /** Another active administrator than `name` exists (read inside the guarding transaction). */
  function anotherActiveAdmin(name: string): boolean {
    for (const { key: other, value } of t.users.getRange()) if (other !== name && isActiveAdmin(value)) return true;
    return false;
  }

  function removeKeys(sub: { getKeys(r?: object): Iterable<string>; remove(k: string): unknown }, parts: string[]) {
    for (const k of [...sub.getKeys(prefixRange(parts))]) sub.remove(k);
  }

  /** Moves every entry under the key prefix `from` to the same key under `to` (in a transaction). */
  function moveKeys<V>(sub: Database<V, string>, from: string[], to: string[]) {
    for (const { key: k, value } of [...sub.getRange(prefixRange(from))]) {
      sub.put(key(...to, ...splitKey(k).slice(from.length)), value);
      sub.remove(k);
    }
  }

  return {
    async getUser(name) {
      const stored = fits(name) ? t.users.get(name) : undefined;
      return stored && toUser(name, stored);
    },
    async listUsers() {
      return [...t.users.getRange()].map(({ key: name, value }) => toUser(name, value));
    },
    async countUsers() {
      return t.users.getKeysCount();
    },
    createUser: (user) =>
      atomically(() => {
        if (nameTaken(user.name)) return 'name-taken';
        t.users.put(user.name, toStoredUser(user));
        return 'created';
      }),
    updateUser: (name, changes, guard: AdminGuard = {}) =>
      atomically((): UserUpdateOutcome => {
        const current = fits(name) ? t.users.get(name) : undefined;
        if (!current) return { outcome: 'not-found' };
        const next: StoredUser = { ...current, ...changes };
        if (guard.keepAnActiveAdmin && isActiveAdmin(current) && !isActiveAdmin(next) && !anotherActiveAdmin(name))
          return { outcome: 'last-admin' };
        t.users.put(name, next);
        return { outcome: 'updated', user: toUser(name, next) };
      }),
    removeUser: (name, guard: AdminGuard = {}) =>
      atomically((): RemoveOutcome => {
        const current = fits(name) ? t.users.get(name) : undefined;
        if (!current) return { outcome: 'not-found' };
        if (guard.keepAnActiveAdmin && isActiveAdmin(current) && !anotherActiveAdmin(name))
          return { outcome: 'last-admin' };
        const count = deps.countRepositoriesInNamespace(root, name);
        if (count > 0) return { outcome: 'has-repositories', count };
        t.users.remove(name);
        // Memberships are keyed by name: left behind, they would pass to a later account of the name.
        for (const k of [...t.orgMembers.getKeys()]) if (splitKey(k)[1] === name) t.orgMembers.remove(k);
        removeKeys(t.memberOf, [name]);
        for (const k of [...t.teamMembers.getKeys()]) if (splitKey(k)[2] === name) t.teamMembers.remove(k);
        deps.revokeUserCredentials(root, name);
        return { outcome: 'removed' };
      }),

    async getOrg(name) {
      const stored = fits(name) ? t.orgs.get(name) : undefined;
      return stored && toOrg(name, stored);
    },
    async listOrgs() {
      return [...t.orgs.getRange()].map(({ key: name, value }) => toOrg(name, value));
    },
    async countOrgs() {
      return t.orgs.getKeysCount();
    },
    createOrg: ({ name, ...stored }) =>
      atomically(() => {
        if (nameTaken(name)) return 'name-taken';
        t.orgs.put(name, stored);
        return 'created';
      }),
    updateOrg: (name, changes) =>
      atomically(() => {
        const current = fits(name) ? t.orgs.get(name) : undefined;
        if (!current) return undefined;
        const next: StoredOrg = { ...current, ...(changes.fullName !== undefined && { fullName: changes.fullName }) };
        t.orgs.put(name, next);
        return toOrg(name, next);
      }),
    removeOrg: (name) =>
      atomically(() => {
        if (!fits(name) || !t.orgs.doesExist(name)) return { outcome: 'not-found' as const };
        const count = deps.countRepositoriesInNamespace(root, name);
        if (count > 0) return { outcome: 'has-repositories' as const, count };
        t.orgs.remove(name);
        for (const k of t.orgMembers.getKeys(prefixRange([name]))) t.memberOf.remove(key(splitKey(k)[1]!, name));
        removeKeys(t.orgMembers, [name]);
        removeKeys(t.teams, [name]);
        removeKeys(t.teamMembers, [name]);
        removeKeys(t.teamAccess, [name]);
        return { outcome: 'removed' as const };
      }),

    async getSettings(account) {
      if (!fits(account)) return undefined;
      const record = t.users.get(account) ?? t.orgs.get(account);
      return record && { ...record.settings };
    },
    updateSettings: (account, patch) =>
      atomically((): AccountSettings | undefined => {
        if (!fits(account)) return undefined;
        const user = t.users.get(account);
        if (user) {
          const settings = { ...user.settings, ...patch };
          t.users.put(account, { ...user, settings });
          return settings;
        }
        const org = t.orgs.get(account);
        if (!org) return undefined;
        const settings = { ...org.settings, ...patch };
        t.orgs.put(account, { ...org, settings });
        return settings;
      }),
    async cachePreferences(user) {
      const own = fits(user) ? t.users.get(user)?.settings.defaultContentCache : undefined;
      const organizations = organizationsOf(user).map((name) => {
        const cache = t.orgs.get(name)?.settings.defaultContentCache;
        return { name, ...(cache && { cache }) };
      });
      return { ...(own && { user: own }), organizations };
    },

    async getOrgMember(org, user) {
      const member = fits(org, user) ? t.orgMembers.get(key(org, user)) : undefined;
      return member && { user, isAdmin: member.isAdmin };
    },
    async listOrgMembers(org) {
      return [...t.orgMembers.getRange(prefixRange([org]))].map(({ key: k, value }) => ({
        user: splitKey(k)[1]!,
        isAdmin: value.isAdmin,
      }));
    },
    async orgsOf(user) {
      return organizationsOf(user);
    },
    setOrgMember: (org, user, isAdmin) =>
      atomically(() => {
        if (!fits(org, user) || !t.orgs.doesExist(org)) return 'no-org';
        if (!t.users.doesExist(user)) return 'no-user';
        t.orgMembers.put(key(org, user), { isAdmin });
        t.memberOf.put(key(user, org), true);
        return 'done';
      }),
    removeOrgMember: (org, user) =>
      atomically(() => {
        if (!fits(org, user) || !t.orgMembers.doesExist(key(org, user))) return false;
        t.orgMembers.remove(key(org, user));
        t.memberOf.remove(key(user, org));
        for (const k of [...t.teamMembers.getKeys(prefixRange([org]))]) {
          if (splitKey(k)[2] === user) t.teamMembers.remove(k);
        }
        return true;
      }),

    async getTeam(org, team) {
      const stored = fits(org, team) ? t.teams.get(key(org, team)) : undefined;
      return stored && { name: team, ...stored };
    },
    async listTeams(org) {
      return [...t.teams.getRange(prefixRange([org]))].map(
        ({ key: k, value }): TeamRecord => ({ name: splitKey(k)[1]!, ...value }),
      );
    },
    createTeam: (org, { name, ...stored }) =>
      atomically(() => {
        if (!fits(org, name) || !t.orgs.doesExist(org)) return 'no-org';
        if (t.teams.doesExist(key(org, name))) return 'name-taken';
        t.teams.put(key(org, name), stored);
        return 'created';
      }),
    updateTeam: (org, team, patch) =>
      atomically(() => {
        const stored = fits(org, team) ? t.teams.get(key(org, team)) : undefined;
        if (!stored) return 'no-team';
        const { description: _old, ...rest } = stored;
        const description = patch.description === undefined ? stored.description : patch.description;
        const updated = { ...rest, ...(description != null && { description }) };
        const name = patch.name ?? team;
        if (name === team) {
          t.teams.put(key(org, team), updated);
          return 'done';
        }
        if (!fits(name) || t.teams.doesExist(key(org, name))) return 'name-taken';
        t.teams.put(key(org, name), updated);
        t.teams.remove(key(org, team));
        // Members and grants are keyed by the team's name: moved to the new one.
        moveKeys(t.teamMembers, [org, team], [org, name]);
        moveKeys(t.teamAccess, [org, team], [org, name]);
        return 'done';
      }),
    removeTeam: (org, team) =>
      atomically(() => {
        if (!fits(org, team) || !t.teams.doesExist(key(org, team))) return false;
        t.teams.remove(key(org, team));
        removeKeys(t.teamMembers, [org, team]);
        removeKeys(t.teamAccess, [org, team]);
        return true;
      }),
    async isTeamMember(org, team, user) {
      return fits(org, team, user) && t.teamMembers.doesExist(key(org, team, user));
    },
    async listTeamMembers(org, team) {
      return [...t.teamMembers.getKeys(prefixRange([org, team]))].map((k) => splitKey(k)[2]!);
    },
    addTeamMember: (org, team, user) =>
      atomically(() => {
        if (!fits(org, team, user) || !t.orgs.doesExist(org)) return 'no-org';
        if (!t.teams.doesExist(key(org, team))) return 'no-team';
        if (!t.users.doesExist(user)) return 'no-user';
        if (!t.orgMembers.doesExist(key(org, user))) {
          t.orgMembers.put(key(org, user), { isAdmin: false });
          t.memberOf.put(key(user, org), true);
        }
        t.teamMembers.put(key(org, team, user), true);
        return 'done';
      }),
    removeTeamMember: (org, team, user) =>
      atomically(() => {
        if (!fits(org, team, user) || !t.teamMembers.doesExist(key(org, team, user))) return false;
        t.teamMembers.remove(key(org, team, user));
        return true;
      }),

    async listTeamAccess(org, team) {
      return [...t.teamAccess.getRange(prefixRange([org, team]))].map(({ key: k, value }) => ({
        repository: splitKey(k)[2]!,
        accessLevel: value.accessLevel,
      }));
    },
    async getTeamAccess(org, team, repository) {
      const grant = fits(org, team, repository) ? t.teamAccess.get(key(org, team, repository)) : undefined;
      return grant && { repository, accessLevel: grant.accessLevel };
    },
    setTeamAccess: (org, team, grant) =>
      atomically(() => {
        if (!fits(org, team, grant.repository) || !t.teams.doesExist(key(org, team))) return 'no-team';
        t.teamAccess.put(key(org, team, grant.repository), { accessLevel: grant.accessLevel });
        return 'done';
      }),
    removeTeamAccess: (org, team, repository) =>
      atomically(() => {
        if (!fits(org, team, repository) || !t.teamAccess.doesExist(key(org, team, repository))) return false;
        t.teamAccess.remove(key(org, team, repository));
        return true;
      }),

    async namespaceAccess(namespace, user, repository): Promise<NamespaceAccess> {
      if (!fits(namespace, repository) || !t.orgs.doesExist(namespace))
        return { isOrg: false, orgAdmin: false, teamLevels: [] };
      if (user === undefined || !fits(user)) return { isOrg: true, orgAdmin: false, teamLevels: [] };
      const teamLevels: AccessLevel[] = [];
      for (const teamKey of t.teams.getKeys(prefixRange([namespace]))) {
        const team = splitKey(teamKey)[1]!;
        if (!t.teamMembers.doesExist(key(namespace, team, user))) continue;
        const grant = t.teamAccess.get(key(namespace, team, repository));
        if (grant) teamLevels.push(grant.accessLevel);
      }
      return { isOrg: true, orgAdmin: t.orgMembers.get(key(namespace, user))?.isAdmin === true, teamLevels };
    },
    async accountType(name) {
      if (!fits(name)) return undefined;
      return t.users.doesExist(name) ? 'user' : t.orgs.doesExist(name) ? 'organization' : undefined;
    },
  };
}

/**
 * A user's organizations, in name order: one range of `memberOf` (every blob GET of a user with
 * a cache asks, for the organizations' defaults). Before the index is built (a data directory
 * from an earlier version), a scan of every membership, as before.
 */
function orgsOf(t: AccountTables, user: string, indexed: boolean): string[] {
  if (indexed) {
    if (!fits(user)) return [];
    return [...t.memberOf.getKeys(prefixRange([user]))].map((k) => splitKey(k)[1]!);
  }
  const orgs: string[] = [];
  for (const k of t.orgMembers.getKeys()) {
    const [org, member] = splitKey(k);
    if (member === user) orgs.push(org!);
  }
  return orgs;
}

/** Builds `memberOf` from `orgMembers`, once per environment; inside a write transaction. */
function buildMemberOf(t: AccountTables): void {
  if (t.indexes.get('memberOf') === 1) return;
  for (const k of [...t.memberOf.getKeys()]) t.memberOf.remove(k);
  for (const k of t.orgMembers.getKeys()) {
    const [org, user] = splitKey(k);
    t.memberOf.put(key(user!, org!), true);
  }
  t.indexes.put('memberOf', 1);
}

/**
 * Removes every team's grant on `repository`: for the registry owner's repository deletion,
 * inside its transaction (grants are keyed by organization and team, so this reads the
 * organization's grants only).
 */
export function removeRepositoryGrants(root: RootDatabase, repository: string): number {
  const namespace = repository.slice(0, Math.max(0, repository.indexOf('/')));
  if (!namespace) return 0;
  const { teamAccess } = openAccountTables(root);
  let removed = 0;
  for (const k of [...teamAccess.getKeys(prefixRange([namespace]))]) {
    if (splitKey(k)[2] !== repository) continue;
    teamAccess.remove(k);
    removed++;
  }
  return removed;
}

/** Ends the user's sessions and refresh tokens in a transaction of their own (deactivation, password changes). */
export function lmdbCredentialRevoker(root: RootDatabase): (user: string) => Promise<number> {
  return (user) => writeAtomically(root, () => revokeUserCredentials(root, user));
}
