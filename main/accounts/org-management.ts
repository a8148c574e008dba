/**
 * @module Organizations as the management API and the web pages change them: members, teams,
 * team members and the teams' grants on repositories. The operations themselves are
 * accounts.ts; this adds the caller.
 *
 * Rules: admins and the organization's admins change anything in it; its members may look
 * (members, teams, grants); everyone else gets NO_PERMISSION. An unknown organization is
 * NOT_FOUND for everyone (organizations are public names, as namespaces).
 */
import type { AccessLevel } from '../metadata/accounts.js';
import type { AccessControl } from './access-control.js';
import type { Accounts } from './accounts.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { Principal } from './permissions.js';
import { signedIn, type SignedIn } from './account-management.js';
import { AccountError } from './errors.js';

export interface MemberView {
  name: string;
  isAdmin: boolean;
}

export interface TeamView {
  name: string;
  description?: string;
}

export interface TeamAccessView {
  team: string;
  repository: { namespace: string; name: string };
  accessLevel: AccessLevel;
}

export interface OrgManagementDeps {
  accounts: Accounts;
  accessControl: AccessControl;
  /** Registry metadata: a grant names a repository that exists. */
  registry: Pick<RegistryMetadata, 'getRepository'>;
}

const splitRepo = (org: string, repository: string) => ({ namespace: org, name: repository.slice(org.length + 1) });

export function createOrgManagement({ accounts, accessControl, registry }: OrgManagementDeps) {
  async function requireOrg(org: string): Promise<void> {
    if (!(await accounts.isOrg(org))) throw new AccountError('NOT_FOUND', `organization "${org}" does not exist`);
  }

  /** Admins and members of `org` may look inside it. */
  async function requireMember(principal: Principal, org: string): Promise<SignedIn> {
    const user = signedIn(principal);
    await requireOrg(org);
    if (!user.isAdmin && !(await accounts.orgMember(org, user.name))) {
      throw new AccountError('NO_PERMISSION', `only members of "${org}" may see its members and teams`);
    }
    return user;
  }

  /** Admins and the organization's admins may change it. */
  async function requireOrgAdmin(principal: Principal, org: string): Promise<SignedIn> {
    const user = signedIn(principal);
    await requireOrg(org);
    if (!user.isAdmin && !(await accessControl.isOrgAdmin(user.name, org)))
      throw new AccountError('NO_PERMISSION', `only administrators of "${org}" may change it`);
    return user;
  }

  async function requireTeam(org: string, team: string): Promise<TeamView> {
    const found = await accounts.team(org, team);
    if (!found) throw new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
    return { name: found.name, ...(found.description !== undefined && { description: found.description }) };
  }

  return {
    async members(principal: Principal, org: string): Promise<MemberView[]> {
      await requireMember(principal, org);
      return accounts.listOrgMembers(org);
    },

    async setMember(principal: Principal, org: string, member: string, isAdmin: boolean): Promise<MemberView> {
      await requireOrgAdmin(principal, org);
      await accounts.setOrgMember(org, member, isAdmin);
      return { name: member, isAdmin };
    },

    async removeMember(principal: Principal, org: string, member: string): Promise<void> {
      await requireOrgAdmin(principal, org);
      if (!(await accounts.orgMember(org, member)))
        throw new AccountError('NOT_FOUND', `"${member}" is not a member of "${org}"`);
      await accounts.removeOrgMember(org, member);
    },

    async teams(principal: Principal, org: string): Promise<TeamView[]> {
      await requireMember(principal, org);
      return accounts.listTeams(org);
    },

    async createTeam(
      principal: Principal,
      org: string,
      input: { name: string; description?: string },
    ): Promise<TeamView> {
      await requireOrgAdmin(principal, org);
      await accounts.createTeam(org, input.name, input.description);
      return requireTeam(org, input.name);
    },

    /** Renames the team or changes its description; returns the team as it now is. */
    async updateTeam(
      principal: Principal,
      org: string,
      team: string,
      patch: { name?: unknown; description?: unknown },
    ): Promise<TeamView> {
      await requireOrgAdmin(principal, org);
      await accounts.updateTeam(org, team, patch);
      return requireTeam(org, typeof patch.name === 'string' ? patch.name : team);
    },

    async team(principal: Principal, org: string, team: string): Promise<TeamView> {
      await requireMember(principal, org);
      return requireTeam(org, team);
    },

    async removeTeam(principal: Principal, org: string, team: string): Promise<void> {
      await requireOrgAdmin(principal, org);
      await accounts.removeTeam(org, team);
    },

    async teamMembers(principal: Principal, org: string, team: string): Promise<string[]> {
      await requireMember(principal, org);
      return accounts.listTeamMembers(org, team);
    },

    /** The member, or NOT_FOUND when the user is not in the team. */
    async teamMember(principal: Principal, org: string, team: string, member: string): Promise<{ name: string }> {
      await requireMember(principal, org);
      await requireTeam(org, team);
      if (!(await accounts.isTeamMember(org, team, member)))
        throw new AccountError('NOT_FOUND', `"${member}" is not a member of team "${team}"`);
      return { name: member };
    },

    /** Adds a user to a team (and to the organization, as a plain member, when not in it yet). */
    async addTeamMember(principal: Principal, org: string, team: string, member: string): Promise<{ name: string }> {
      await requireOrgAdmin(principal, org);
      await accounts.addTeamMember(org, team, member);
      return { name: member };
    },

    async removeTeamMember(principal: Principal, org: string, team: string, member: string): Promise<void> {
      await requireOrgAdmin(principal, org);
      await requireTeam(org, team);
      if (!(await accounts.isTeamMember(org, team, member)))
        throw new AccountError('NOT_FOUND', `"${member}" is not a member of team "${team}"`);
      await accounts.removeTeamMember(org, team, member);
    },

    async teamAccess(principal: Principal, org: string, team: string): Promise<TeamAccessView[]> {
      await requireMember(principal, org);
      return (await accounts.listTeamAccess(org, team)).map((g) => ({
        team,
        repository: splitRepo(org, g.repository),
        accessLevel: g.accessLevel,
      }));
    },

    /** Grants a team `level` on an existing repository of the organization. */
    async setTeamAccess(
      principal: Principal,
      org: string,
      repository: string,
      team: string,
      level: AccessLevel,
    ): Promise<TeamAccessView> {
      await requireOrgAdmin(principal, org);
      await requireTeam(org, team);
      if (!(await registry.getRepository(repository)))
        throw new AccountError('NOT_FOUND', `repository "${repository}" does not exist`);
      await accounts.setTeamAccess(org, team, repository, level);
      return { team, repository: splitRepo(org, repository), accessLevel: level };
    },

    async removeTeamAccess(principal: Principal, org: string, repository: string, team: string): Promise<void> {
      await requireOrgAdmin(principal, org);
      await requireTeam(org, team);
      if (!(await accounts.teamAccess(org, team, repository)))
        throw new AccountError('NOT_FOUND', `team "${team}" has no access to "${repository}"`);
      await accounts.removeTeamAccess(org, team, repository);
    },
  };
}

export type OrgManagement = ReturnType<typeof createOrgManagement>;
