/**
 * The accounts environment's raw LMDB sub-databases, as the embedded backend lays them out
 * (main/metadata/lmdb/), for tests that write records the way an earlier version did or check
 * what a write left behind. Production code reaches them only through the metadata owners.
 */
import { writeAtomically, type Database, type RootDatabase } from '../../src/store/lmdb.js';
import type { AccessLevel } from '../../main/metadata/accounts.js';
import type { StoredOrg, StoredTeam, StoredUser } from '../../main/metadata/lmdb/account-tables.js';
import type { MetaSettings } from '../../main/metadata/settings.js';
import type { RefreshTokenRecord, SessionRecord } from '../../main/metadata/sessions.js';

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
