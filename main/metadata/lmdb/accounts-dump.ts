/** @module The accounts owner's tables as migration records (layout in accounts.ts). Reads only. */
import { splitKey, type RootDatabase } from '../../../src/store/lmdb.js';
import type { AccessLevel } from '../accounts.js';
import type { MigrationSource } from '../migration.js';
import { openAccountTables } from './account-tables.js';
import { dumpTable } from './dump-table.js';

type AccountSteps = Pick<MigrationSource, 'users' | 'orgs' | 'orgMembers' | 'teams' | 'teamMembers' | 'teamGrants'>;

const parts = (key: string, count: number): string[] => {
  const split = splitKey(key);
  if (split.length !== count) throw new Error(`unexpected account key ${JSON.stringify(key)}`);
  return split;
};

export function dumpLmdbAccounts(root: RootDatabase): AccountSteps {
  const t = openAccountTables(root);
  return {
    users: dumpTable(t.users, (name, stored) => ({ name, ...stored })),
    orgs: dumpTable(t.orgs, (name, stored) => ({ name, ...stored })),
    orgMembers: dumpTable(t.orgMembers, (key, { isAdmin }) => {
      const [org = '', user = ''] = parts(key, 2);
      return { org, user, isAdmin };
    }),
    teams: dumpTable(t.teams, (key, stored) => {
      const [org = '', name = ''] = parts(key, 2);
      return { ...stored, org, name };
    }),
    teamMembers: dumpTable(t.teamMembers, (key) => {
      const [org = '', team = '', user = ''] = parts(key, 3);
      return { org, team, user };
    }),
    teamGrants: dumpTable(t.teamAccess, (key, { accessLevel }: { accessLevel: AccessLevel }) => {
      const [org = '', team = '', repository = ''] = parts(key, 3);
      return { org, team, repository, accessLevel };
    }),
  };
}
