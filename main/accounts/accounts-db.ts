/**
 * @module What remains of the accounts environment's raw sub-databases while their owners move
 * behind interfaces: refresh tokens and sessions (sessions owner).
 * Users, organizations, teams, grants and settings belong to main/metadata/accounts.ts and
 * settings.ts (main/metadata/lmdb/); their handles stay here only for the modules not moved yet
 * (repositories.ts reads account types and removes grants with a repository, sessions.ts reads
 * user ids). Read them nowhere else.
 *
 *	refreshTokens  <sha256 of token>             RefreshTokenRecord
 *	sessions       <sha256 of session id>        SessionRecord
 *
 * (users, orgs, orgMembers, teams, teamMembers, teamAccess: main/metadata/lmdb/accounts.ts;
 * settings: main/metadata/lmdb/settings.ts; the repository events: main/metadata/lmdb/registry-tables.ts.)
 */
import { writeAtomically, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import type { AccessLevel } from '../metadata/accounts.js';
import type { StoredOrg, StoredTeam, StoredUser } from '../metadata/lmdb/account-tables.js';
import type { MetaSettings } from '../metadata/settings.js';
import type { RefreshTokenRecord, SessionRecord } from '../metadata/sessions.js';

export interface AccountsDb {
  users: Database<StoredUser, string>;
  orgs: Database<StoredOrg, string>;
  orgMembers: Database<{ isAdmin: boolean }, string>;
  teams: Database<StoredTeam, string>;
  teamMembers: Database<true, string>;
  teamAccess: Database<{ accessLevel: AccessLevel }, string>;
  refreshTokens: Database<RefreshTokenRecord, string>;
  sessions: Database<SessionRecord, string>;
  settings: Database<Partial<MetaSettings>, string>;
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
    refreshTokens: sub('refreshTokens'),
    sessions: sub('sessions'),
    settings: sub('settings'),
    transaction: (fn) => writeAtomically(root, fn),
  };
}
