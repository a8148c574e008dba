/**
 * @module Organizations, their members, teams and the teams' repository grants: the part of the
 * account operations (accounts.ts) that concerns organizations.
 */
import { isRepoName } from '../../src/oci/reference.js';
import type { AccessLevel, AccountStore, OrgRecord, RemoveOutcome, UserRecord } from '../metadata/accounts.js';
import { AccountError } from './errors.js';
import { checkAccountName, isAccountName } from './account-names.js';

const ACCESS_LEVELS: ReadonlySet<string> = new Set(['read', 'read-write', 'admin']);

/** Whether `value` names an access level a grant may give. */
export const isAccessLevel = (value: unknown): value is AccessLevel =>
  typeof value === 'string' && ACCESS_LEVELS.has(value);

export const alreadyExists = (name: string) =>
  new AccountError('ALREADY_EXISTS', `an account named "${name}" already exists`);

export interface OrganizationsDeps {
  requireUser: (name: string) => Promise<UserRecord>;
  refuseRemoval: (name: string, what: string, result: RemoveOutcome) => void;
  now: () => number;
}

export function createOrganizations(store: AccountStore, { requireUser, refuseRemoval, now }: OrganizationsDeps) {
  const requireOrg = async (name: string): Promise<OrgRecord> => {
    const org = isAccountName(name) ? await store.getOrg(name) : undefined;
    if (!org) throw new AccountError('NOT_FOUND', `organization "${name}" does not exist`);
    return org;
  };
  const requireTeam = async (org: string, team: string): Promise<void> => {
    await requireOrg(org);
    if (!(await store.getTeam(org, team)))
      throw new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
  };

  return {
    async createOrg(input: { name: unknown; fullName?: unknown }): Promise<{ name: string; fullName?: string }> {
      const name = checkAccountName(input.name, 'organization');
      const record: OrgRecord = {
        name,
        createdAt: now(),
        settings: {},
        ...(typeof input.fullName === 'string' && { fullName: input.fullName.slice(0, 200) }),
      };
      if ((await store.createOrg(record)) === 'name-taken') throw alreadyExists(name);
      return { name, ...(record.fullName !== undefined && { fullName: record.fullName }) };
    },

    getOrg: async (name: string): Promise<OrgRecord | undefined> =>
      isAccountName(name) ? store.getOrg(name) : undefined,
    isOrg: async (name: string): Promise<boolean> => isAccountName(name) && (await store.getOrg(name)) !== undefined,
    listOrgs: async () =>
      (await store.listOrgs()).map(({ name, fullName }) => ({ name, ...(fullName !== undefined && { fullName }) })),

    /** Changes the organization's full name; the organization as it is now. */
    async updateOrg(name: string, fullName: string): Promise<OrgRecord> {
      const org = isAccountName(name) ? await store.updateOrg(name, { fullName: fullName.slice(0, 200) }) : undefined;
      if (!org) throw new AccountError('NOT_FOUND', `organization "${name}" does not exist`);
      return org;
    },

    async removeOrg(name: string): Promise<void> {
      if (!isAccountName(name)) throw new AccountError('NOT_FOUND', `organization "${name}" does not exist`);
      refuseRemoval(name, 'organization', await store.removeOrg(name));
    },

    async setOrgMember(org: string, user: string, isAdmin: boolean): Promise<void> {
      await requireOrg(org);
      await requireUser(user);
      const result = await store.setOrgMember(org, user, isAdmin);
      if (result !== 'done') throw membershipError(result, org, user);
    },

    async removeOrgMember(org: string, user: string): Promise<void> {
      await requireOrg(org);
      await store.removeOrgMember(org, user);
    },

    /** The member, undefined when `user` is not in `org`. */
    orgMember: async (org: string, user: string) =>
      isAccountName(org) && isAccountName(user) ? store.getOrgMember(org, user) : undefined,

    async listOrgMembers(org: string) {
      await requireOrg(org);
      return (await store.listOrgMembers(org)).map((m) => ({ name: m.user, isAdmin: m.isAdmin }));
    },

    /** Organizations `user` belongs to, in name order. */
    orgsOf: (user: string): Promise<string[]> => store.orgsOf(user),

    async createTeam(org: string, team: unknown, description?: unknown): Promise<void> {
      await requireOrg(org);
      const name = checkAccountName(team, 'team');
      const result = await store.createTeam(org, {
        name,
        createdAt: now(),
        ...(typeof description === 'string' && { description: description.slice(0, 500) }),
      });
      if (result === 'name-taken')
        throw new AccountError('ALREADY_EXISTS', `team "${name}" already exists in "${org}"`);
      if (result === 'no-org') throw new AccountError('NOT_FOUND', `organization "${org}" does not exist`);
    },

    /** Renames the team and/or changes its description ("" removes it); members and grants follow. */
    async updateTeam(org: string, team: string, patch: { name?: unknown; description?: unknown }): Promise<void> {
      await requireTeam(org, team);
      const name = patch.name === undefined ? undefined : checkAccountName(patch.name, 'team');
      if (patch.description !== undefined && typeof patch.description !== 'string')
        throw new AccountError('INVALID_INPUT', 'description must be a string');
      const description =
        patch.description === undefined ? undefined : patch.description === '' ? null : patch.description.slice(0, 500);
      const result = await store.updateTeam(org, team, {
        ...(name !== undefined && { name }),
        ...(description !== undefined && { description }),
      });
      if (result === 'name-taken')
        throw new AccountError('ALREADY_EXISTS', `team "${name}" already exists in "${org}"`);
      if (result === 'no-team') throw new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
    },

    async removeTeam(org: string, team: string): Promise<void> {
      await requireTeam(org, team);
      await store.removeTeam(org, team);
    },

    async listTeams(org: string) {
      await requireOrg(org);
      return (await store.listTeams(org)).map(({ name, description }) => ({
        name,
        ...(description !== undefined && { description }),
      }));
    },

    /** The team, undefined when `org` has none of that name. */
    team: async (org: string, team: string) =>
      isAccountName(org) && isAccountName(team) ? store.getTeam(org, team) : undefined,

    async addTeamMember(org: string, team: string, user: string): Promise<void> {
      await requireTeam(org, team);
      await requireUser(user);
      const result = await store.addTeamMember(org, team, user);
      if (result !== 'done') throw membershipError(result, org, user, team);
    },

    async removeTeamMember(org: string, team: string, user: string): Promise<void> {
      await requireTeam(org, team);
      await store.removeTeamMember(org, team, user);
    },

    isTeamMember: async (org: string, team: string, user: string): Promise<boolean> =>
      isAccountName(user) && store.isTeamMember(org, team, user),

    async listTeamMembers(org: string, team: string): Promise<string[]> {
      await requireTeam(org, team);
      return store.listTeamMembers(org, team);
    },

    async setTeamAccess(org: string, team: string, repo: string, level: unknown): Promise<void> {
      await requireTeam(org, team);
      if (!isAccessLevel(level))
        throw new AccountError('INVALID_INPUT', 'accessLevel must be read, read-write or admin');
      if (!isRepoName(repo) || !repo.startsWith(`${org}/`))
        throw new AccountError('INVALID_INPUT', `repository must be in the "${org}/" namespace`);
      const result = await store.setTeamAccess(org, team, { repository: repo, accessLevel: level as AccessLevel });
      if (result === 'no-team') throw new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
    },

    async removeTeamAccess(org: string, team: string, repo: string): Promise<void> {
      await requireTeam(org, team);
      await store.removeTeamAccess(org, team, repo);
    },

    /** The team's grant on `repo`, undefined when it has none. */
    teamAccess: async (org: string, team: string, repo: string) =>
      isRepoName(repo) ? store.getTeamAccess(org, team, repo) : undefined,

    async listTeamAccess(org: string, team: string) {
      await requireTeam(org, team);
      return store.listTeamAccess(org, team);
    },
  };
}

/** A membership refused because something it names went away meanwhile. */
function membershipError(result: 'no-org' | 'no-team' | 'no-user', org: string, user: string, team?: string) {
  if (result === 'no-org') return new AccountError('NOT_FOUND', `organization "${org}" does not exist`);
  if (result === 'no-team') return new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
  return new AccountError('NOT_FOUND', `user "${user}" does not exist`);
}
