/**
 * @module Gathers a repository's permission facts from LMDB and applies `allowedActions`.
 */
import { key, prefixRange, splitKey } from '../../src/store/lmdb.js';
import type { RepositoryRecord } from '../metadata/registry.js';
import { DEFAULT_META_SETTINGS, type AccessLevel, type AccountsDb, type MetaSettings } from './accounts-db.js';
import { allowedActions, highestLevel, type Principal, type RepoAction, type RepositoryFacts } from './permissions.js';

export interface AccessControl {
  /** The actions `principal` may perform on repository `name` (which may not exist yet). */
  actionsFor(principal: Principal, name: string): RepoAction[];
  /** Whether `user` administers organization `org`. */
  isOrgAdmin(user: string, org: string): boolean;
  metaSettings(): MetaSettings;
}

export function namespaceOf(name: string): string | undefined {
  const slash = name.indexOf('/');
  return slash < 0 ? undefined : name.slice(0, slash);
}

/**
 * `readRepository` reads one repository record synchronously (the LMDB registry metadata's
 * `readRepository`): these checks run on every request and are synchronous today.
 */
export function createAccessControl(
  readRepository: (name: string) => RepositoryRecord | undefined,
  accounts: AccountsDb,
): AccessControl {
  const metaSettings = (): MetaSettings => ({ ...DEFAULT_META_SETTINGS, ...accounts.settings.get('meta') });
  const isOrgAdmin = (user: string, org: string) => accounts.orgMembers.get(key(org, user))?.isAdmin === true;

  function teamAccess(user: string, org: string, repo: string): AccessLevel | undefined {
    const levels: AccessLevel[] = [];
    for (const teamKey of accounts.teams.getKeys(prefixRange([org]))) {
      const team = splitKey(teamKey)[1]!;
      if (!accounts.teamMembers.doesExist(key(org, team, user))) continue;
      const grant = accounts.teamAccess.get(key(org, team, repo));
      if (grant) levels.push(grant.accessLevel);
    }
    return highestLevel(levels);
  }

  return {
    isOrgAdmin,
    metaSettings,
    actionsFor(principal, name) {
      const repo = readRepository(name);
      const settings = metaSettings();
      const namespace = namespaceOf(name);
      const user = principal.kind === 'user' ? principal.name : undefined;
      const isOrg = namespace !== undefined && accounts.orgs.doesExist(namespace);
      const facts: RepositoryFacts = {
        exists: repo !== undefined,
        visibility: repo?.visibility ?? 'private',
        ownNamespace: user !== undefined && namespace === user,
        orgAdmin: user !== undefined && isOrg && isOrgAdmin(user, namespace!),
        createRepositoryOnPush: settings.createRepositoryOnPush,
        anonymousPull: settings.anonymousPull,
      };
      const level = user !== undefined && isOrg ? teamAccess(user, namespace!, name) : undefined;
      if (level) facts.teamAccess = level;
      return allowedActions(principal, facts);
    },
  };
}
