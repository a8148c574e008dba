/**
 * @module Users, organizations, teams and grants: the account operations the API, the web
 * pages and the CLI share. Validation happens here, once.
 */
import { randomBytes } from 'node:crypto';
import { isRepoName } from '../../src/oci/reference.js';
import type {
  AccessLevel,
  AccountSettings,
  AccountStore,
  OrgRecord,
  RemoveOutcome,
  UserRecord,
} from '../metadata/accounts.js';
import { AccountError } from './errors.js';
import { checkAccountName, isAccountName } from './account-names.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

const ACCESS_LEVELS: ReadonlySet<string> = new Set(['read', 'read-write', 'admin']);

/** Whether `value` names an access level a grant may give. */
export const isAccessLevel = (value: unknown): value is AccessLevel =>
  typeof value === 'string' && ACCESS_LEVELS.has(value);

export interface UserView {
  name: string;
  isAdmin: boolean;
  isActive: boolean;
  /** Signs in against the directory (LDAP), has no local password; absent for local accounts. */
  fromDirectory?: true;
  fullName?: string;
  createdAt: string;
}

export interface Identity {
  /** See `userIdOf`. */
  id: string;
  isAdmin: boolean;
  isActive: boolean;
  /** Changes whenever the password does. */
  passwordVersion: string;
  /** Created by a directory sign-in or sync: its password is the directory's, it has no local one. */
  fromDirectory: boolean;
}

/**
 * The password "hash" of an account whose password is the directory's: not a scrypt hash, so no password
 * verifies against it locally (passwords.ts refuses any other scheme); setting a local password makes the
 * account local.
 */
export const DIRECTORY_PASSWORD = 'directory$ldap';

export interface NewUser {
  name: string;
  password: string;
  isAdmin?: boolean;
  isActive?: boolean;
  fullName?: string;
}

export interface UserUpdate {
  isAdmin?: boolean;
  isActive?: boolean;
  fullName?: string;
  password?: string;
}

/**
 * The account's immutable id. A record from before ids existed gets one from its creation
 * time: stable for that account, and different from any account created later under the
 * same name (which gets a random id).
 */
export function userIdOf(record: Pick<UserRecord, 'id' | 'createdAt'>): string {
  return record.id ?? `legacy-${record.createdAt.toString(36)}`;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new AccountError('INVALID_INPUT', 'password is required');
  const problem = passwordProblem(password);
  if (problem) throw new AccountError('INVALID_INPUT', problem);
  return password;
}

const toView = (name: string, u: UserRecord): UserView => ({
  name,
  isAdmin: u.isAdmin,
  isActive: u.isActive,
  ...(u.passwordHash === DIRECTORY_PASSWORD && { fromDirectory: true as const }),
  ...(u.fullName !== undefined && { fullName: u.fullName }),
  createdAt: new Date(u.createdAt).toISOString(),
});

export interface AccountsDeps {
  /** Ends the user's web sessions and refresh tokens (the sessions owner's); returns how many. */
  revokeCredentials: (user: string) => Promise<number>;
  now?: () => number;
}

/**
 * Refuses to remove an account whose namespace still has repositories: names are the only
 * link between an account and its repositories, so a later account of the same name would
 * own them (private images, events, grants). The store checks inside the removing transaction,
 * so a push cannot create one between the check and the removal.
 */
function refuseRemoval(name: string, what: string, result: RemoveOutcome): void {
  switch (result.outcome) {
    case 'removed':
      return;
    case 'not-found':
      throw new AccountError('NOT_FOUND', `${what} "${name}" does not exist`);
    case 'last-admin':
      throw lastAdminError(name);
    case 'has-repositories': {
      const { count } = result;
      throw new AccountError(
        'CONFLICT',
        `${what} "${name}" still has ${count} repositor${count === 1 ? 'y' : 'ies'} (${name}/...): ` +
          'delete them first, so that no later account of the same name inherits them',
      );
    }
  }
}

export const lastAdminError = (name: string) =>
  new AccountError(
    'INVALID_INPUT',
    `"${name}" is the last active administrator: make someone else an administrator first`,
  );

export function createAccounts(store: AccountStore, { revokeCredentials, now = Date.now }: AccountsDeps) {
  // A user under a name no account can have: none, without asking the store.
  const userNamed = async (name: string): Promise<UserRecord | undefined> =>
    isAccountName(name) ? store.getUser(name) : undefined;
  const requireUser = async (name: string): Promise<UserRecord> => {
    const user = await userNamed(name);
    if (!user) throw new AccountError('NOT_FOUND', `user "${name}" does not exist`);
    return user;
  };
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
  const alreadyExists = (name: string) =>
    new AccountError('ALREADY_EXISTS', `an account named "${name}" already exists`);

  return {
    userCount: () => store.countUsers(),

    async createUser(input: NewUser): Promise<UserView> {
      const name = checkAccountName(input.name, 'user');
      const passwordHash = await hashPassword(checkPassword(input.password));
      const record: UserRecord = {
        name,
        id: randomBytes(16).toString('base64url'),
        passwordHash,
        isAdmin: input.isAdmin ?? false,
        isActive: input.isActive ?? true,
        ...(input.fullName !== undefined && { fullName: String(input.fullName).slice(0, 200) }),
        createdAt: now(),
        settings: {},
      };
      if ((await store.createUser(record)) === 'name-taken') throw alreadyExists(name);
      return toView(name, record);
    },

    /** A user whose password is the directory's (first sign-in, or the sync); ALREADY_EXISTS when the name is taken. */
    async createDirectoryUser(input: { name: string; fullName?: string; isActive?: boolean }): Promise<UserView> {
      const name = checkAccountName(input.name, 'user');
      const record: UserRecord = {
        name,
        id: randomBytes(16).toString('base64url'),
        passwordHash: DIRECTORY_PASSWORD,
        isAdmin: false,
        isActive: input.isActive ?? true,
        ...(input.fullName !== undefined && { fullName: input.fullName.slice(0, 200) }),
        createdAt: now(),
        settings: {},
      };
      if ((await store.createUser(record)) === 'name-taken') throw alreadyExists(name);
      return toView(name, record);
    },

    async getUser(name: string): Promise<UserView | undefined> {
      const user = await userNamed(name);
      return user && toView(name, user);
    },

    listUsers: async (): Promise<UserView[]> => (await store.listUsers()).map((u) => toView(u.name, u)),

    /**
     * With `keepAnActiveAdmin`, refuses (INVALID_INPUT) a change that would leave the registry
     * without an active administrator, checked in the same transaction as the change.
     */
    async updateUser(name: string, update: UserUpdate, guard: { keepAnActiveAdmin?: boolean } = {}): Promise<UserView> {
      await requireUser(name);
      const changes: Parameters<AccountStore['updateUser']>[1] = {};
      if (update.isAdmin !== undefined) changes.isAdmin = Boolean(update.isAdmin);
      if (update.isActive !== undefined) changes.isActive = Boolean(update.isActive);
      if (update.fullName !== undefined) changes.fullName = String(update.fullName).slice(0, 200);
      if (update.password !== undefined) changes.passwordHash = await hashPassword(checkPassword(update.password));
      const result = await store.updateUser(name, changes, guard);
      if (result.outcome === 'not-found') throw new AccountError('NOT_FOUND', `user "${name}" does not exist`);
      if (result.outcome === 'last-admin') throw lastAdminError(name);
      return toView(name, result.user);
    },

    /**
     * Removes the user with its memberships, sessions and refresh tokens, all or nothing
     * (memberships and credentials are keyed by name: left behind, they would pass to a later
     * account created with the same name). CONFLICT while `<name>/` has repositories.
     */
    async removeUser(name: string, guard: { keepAnActiveAdmin?: boolean } = {}): Promise<void> {
      if (!isAccountName(name)) throw new AccountError('NOT_FOUND', `user "${name}" does not exist`);
      refuseRemoval(name, 'user', await store.removeUser(name, guard));
    },

    /** Ends the user's web sessions and invalidates its refresh tokens; returns how many. */
    revokeCredentials,

    /** The user's immutable id (see `userIdOf`); undefined for no user. */
    async userId(name: string): Promise<string | undefined> {
      const user = await userNamed(name);
      return user && userIdOf(user);
    },

    /**
     * What authenticating a request needs of the user, in one lookup (every request with Basic
     * credentials or a token comes here): undefined for no user.
     */
    async identity(name: string): Promise<Identity | undefined> {
      const user = await userNamed(name);
      return (
        user && {
          id: userIdOf(user),
          isAdmin: user.isAdmin,
          isActive: user.isActive,
          passwordVersion: user.passwordHash,
          fromDirectory: user.passwordHash === DIRECTORY_PASSWORD,
        }
      );
    },

    /** Changes whenever the user's password does (for caches of verified passwords); undefined for no user. */
    passwordVersion: async (name: string): Promise<string | undefined> => (await userNamed(name))?.passwordHash,

    /** The user when the password is right and the account active; undefined otherwise. */
    async authenticate(name: string, password: string): Promise<UserView | undefined> {
      const user = await userNamed(name);
      if (!user) {
        // Same work either way, so timing does not tell which accounts exist.
        await verifyPassword(password, DUMMY_HASH);
        return undefined;
      }
      const ok = await verifyPassword(password, user.passwordHash);
      return ok && user.isActive ? toView(name, user) : undefined;
    },

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

    async getSettings(account: string): Promise<AccountSettings> {
      const settings = isAccountName(account) ? await store.getSettings(account) : undefined;
      if (!settings) throw new AccountError('NOT_FOUND', `account "${account}" does not exist`);
      return settings;
    },

    async updateSettings(account: string, patch: AccountSettings): Promise<AccountSettings> {
      const settings = isAccountName(account) ? await store.updateSettings(account, patch) : undefined;
      if (!settings) throw new AccountError('NOT_FOUND', `organization "${account}" does not exist`);
      return settings;
    },

    /** The caches the user's and their organizations' settings name, for the redirect decision. */
    cachePreferences: (user: string) => store.cachePreferences(user),
  };
}

/** A membership refused because something it names went away meanwhile. */
function membershipError(result: 'no-org' | 'no-team' | 'no-user', org: string, user: string, team?: string) {
  if (result === 'no-org') return new AccountError('NOT_FOUND', `organization "${org}" does not exist`);
  if (result === 'no-team') return new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
  return new AccountError('NOT_FOUND', `user "${user}" does not exist`);
}

export type Accounts = ReturnType<typeof createAccounts>;

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
