/**
 * @module Accounts in LMDB, in the same environment as the registry metadata so that a
 * repository and its settings change together.
 *
 *	users          <name>                        UserRecord
 *	orgs           <name>                        OrgRecord
 *	orgMembers     <org> NUL <user>              { isAdmin }
 *	teams          <org> NUL <team>              TeamRecord
 *	teamMembers    <org> NUL <team> NUL <user>   true
 *	teamAccess     <org> NUL <team> NUL <repo>   { accessLevel }
 *	events         <repo> NUL <time> NUL <seq>   RepositoryEvent
 *	refreshTokens  <sha256 of token>             RefreshTokenRecord
 *	sessions       <sha256 of session id>        SessionRecord
 *	settings       "meta"                        MetaSettings
 */
import { writeAtomically, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import type { RefreshTokenRecord, SessionRecord } from '../metadata/sessions.js';

export interface AccountSettings {
  /** Name of the content cache this account pulls from by default ('' or absent: none). */
  defaultContentCache?: string;
}

export interface UserRecord {
  /**
   * Random and immutable, created with the user: tokens, refresh tokens and sessions carry it,
   * so that they die with the account even if its name is taken again. Records written before
   * ids existed have none (accounts.ts `userIdOf` stands in).
   */
  id?: string;
  passwordHash: string;
  isAdmin: boolean;
  isActive: boolean;
  fullName?: string;
  createdAt: number;
  settings: AccountSettings;
}

export interface OrgRecord {
  fullName?: string;
  createdAt: number;
  settings: AccountSettings;
}

export type AccessLevel = 'read' | 'read-write' | 'admin';

export interface TeamRecord {
  description?: string;
  createdAt: number;
}

export interface RepositoryEvent {
  type: 'create' | 'push' | 'tag' | 'delete' | 'untag' | 'settings';
  actor: string;
  at: number;
  tag?: string;
  digest?: string;
}

export interface MetaSettings {
  /** Pushing to a repository that does not exist creates it (when the pusher may write to the namespace). */
  createRepositoryOnPush: boolean;
  /** Anonymous clients may pull public repositories. */
  anonymousPull: boolean;
}

export const DEFAULT_META_SETTINGS: MetaSettings = { createRepositoryOnPush: true, anonymousPull: true };

export interface AccountsDb {
  users: Database<UserRecord, string>;
  orgs: Database<OrgRecord, string>;
  orgMembers: Database<{ isAdmin: boolean }, string>;
  teams: Database<TeamRecord, string>;
  teamMembers: Database<true, string>;
  teamAccess: Database<{ accessLevel: AccessLevel }, string>;
  events: Database<RepositoryEvent, string>;
  refreshTokens: Database<RefreshTokenRecord, string>;
  sessions: Database<SessionRecord, string>;
  settings: Database<MetaSettings, string>;
  /**
   * The registry's repositories (main/registry/metadata-db.ts owns them): read here only, so
   * that removing an account can refuse while its namespace still has any.
   */
  repositories: Database<unknown, string>;
  transaction<T>(fn: () => T): Promise<T>;
}

export function openAccountsDb(root: RootDatabase): AccountsDb {
  const sub = <V>(name: string) => root.openDB<V, string>({ name, encoding: 'msgpack' });
  return {
    users: sub('users'),
    orgs: sub('orgs'),
    orgMembers: sub('orgMembers'),
    teams: sub('teams'),
    teamMembers: sub('teamMembers'),
    teamAccess: sub('teamAccess'),
    events: sub('events'),
    refreshTokens: sub('refreshTokens'),
    sessions: sub('sessions'),
    settings: sub('settings'),
    repositories: sub('repositories'),
    transaction: (fn) => writeAtomically(root, fn),
  };
}
