/**
 * @module The LMDB sub-databases of the accounts owner and the shapes stored in them (the
 * records of main/metadata/accounts.ts without the name, which is the key). Opened by
 * accounts.ts only; the layout is drawn there.
 */
import type { Database, RootDatabase } from '../../../src/store/lmdb.js';
import type { AccessLevel, OrgRecord, TeamRecord, UserRecord } from '../accounts.js';

export type StoredUser = Omit<UserRecord, 'name'>;
export type StoredOrg = Omit<OrgRecord, 'name'>;
export type StoredTeam = Omit<TeamRecord, 'name'>;

export interface AccountTables {
  users: Database<StoredUser, string>;
  orgs: Database<StoredOrg, string>;
  orgMembers: Database<{ isAdmin: boolean }, string>;
  /** `orgMembers` by user first (`<user> SEP <org>`): a user's organizations without a scan. */
  memberOf: Database<true, string>;
  /** Which derived tables are complete (`memberOf` -> 1 once built from `orgMembers`). */
  indexes: Database<number, string>;
  teams: Database<StoredTeam, string>;
  teamMembers: Database<true, string>;
  teamAccess: Database<{ accessLevel: AccessLevel }, string>;
}

// One set of handles per environment, however often a transaction of another owner asks.
const opened = new WeakMap<RootDatabase, AccountTables>();

export function openAccountTables(root: RootDatabase): AccountTables {
  const known = opened.get(root);
  if (known) return known;
  const sub = <V>(name: string) => root.openDB<V, string>({ name, encoding: 'msgpack' });
  const tables: AccountTables = {
    users: sub('users'),
    orgs: sub('orgs'),
    orgMembers: sub('orgMembers'),
    memberOf: sub('memberOf'),
    indexes: sub('accountIndexes'),
    teams: sub('teams'),
    teamMembers: sub('teamMembers'),
    teamAccess: sub('teamAccess'),
  };
  opened.set(root, tables);
  return tables;
}
