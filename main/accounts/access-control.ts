/**
 * @module Gathers a repository's permission facts from the owners and applies `allowedActions`.
 * On every registry request: a point read of the repository, of the settings, and one
 * `namespaceAccess` of the accounts owner.
 */
import type { RepositoryRecord } from '../metadata/registry.js';
import type { AccountStore } from '../metadata/accounts.js';
import type { MetaSettings, SettingsStore } from '../metadata/settings.js';
import { isAccountName } from './account-names.js';
import { allowedActions, highestLevel, type Principal, type RepoAction, type RepositoryFacts } from './permissions.js';

export interface AccessControl {
  /** The actions `principal` may perform on repository `name` (which may not exist yet). */
  actionsFor(principal: Principal, name: string): Promise<RepoAction[]>;
  /** Whether `user` administers organization `org`. */
  isOrgAdmin(user: string, org: string): Promise<boolean>;
  metaSettings(): Promise<MetaSettings>;
}

export function namespaceOf(name: string): string | undefined {
  const slash = name.indexOf('/');
  return slash < 0 ? undefined : name.slice(0, slash);
}

export function createAccessControl(
  /** The registry owner's `getRepository`. */
  getRepository: (name: string) => Promise<RepositoryRecord | undefined>,
  accounts: AccountStore,
  settings: SettingsStore,
): AccessControl {
  const metaSettings = () => settings.getMetaSettings();
  const isOrgAdmin = async (user: string, org: string) =>
    isAccountName(user) && isAccountName(org) && (await accounts.getOrgMember(org, user))?.isAdmin === true;

  return {
    isOrgAdmin,
    metaSettings,
    async actionsFor(principal, name) {
      const namespace = namespaceOf(name);
      const user = principal.kind === 'user' ? principal.name : undefined;
      const [repo, current, access] = await Promise.all([
        getRepository(name),
        metaSettings(),
        namespace !== undefined && isAccountName(namespace)
          ? accounts.namespaceAccess(namespace, user, name)
          : { isOrg: false, orgAdmin: false, teamLevels: [] },
      ]);
      const facts: RepositoryFacts = {
        exists: repo !== undefined,
        visibility: repo?.visibility ?? 'private',
        ownNamespace: user !== undefined && namespace === user,
        orgAdmin: access.orgAdmin,
        createRepositoryOnPush: current.createRepositoryOnPush,
        anonymousPull: current.anonymousPull,
      };
      const level = highestLevel(access.teamLevels);
      if (level) facts.teamAccess = level;
      return allowedActions(principal, facts);
    },
  };
}
