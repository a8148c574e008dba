/**
 * @module Users, organizations, teams and grants: the account operations the API, the web
 * pages and the CLI share. Validation happens here, once.
 */
import { randomBytes } from 'node:crypto';
import { key, prefixRange, splitKey } from '../../src/store/lmdb.js';
import { isRepoName } from '../../src/oci/reference.js';
import { ANONYMOUS } from '../../src/auth/registry-token.js';
import type { AccessLevel, AccountSettings, AccountsDb, OrgRecord, UserRecord } from './accounts-db.js';
import { AccountError } from './errors.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

// A name must also be a valid repository path component, since it is a namespace.
const NAME_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const RESERVED = new Set([ANONYMOUS, 'api', 'auth', 'v2']);
const ACCESS_LEVELS: ReadonlySet<string> = new Set(['read', 'read-write', 'admin']);

export interface UserView {
  name: string;
  isAdmin: boolean;
  isActive: boolean;
  fullName?: string;
  createdAt: string;
}

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
export function userIdOf(record: UserRecord): string {
  return record.id ?? `legacy-${record.createdAt.toString(36)}`;
}

/**
 * Whether `name` could be an account's name at all. Sign-in refuses others as wrong credentials
 * before any lookup: LMDB cannot even encode a key of a few thousand characters.
 */
export function isAccountName(name: string): boolean {
  return name.length <= 64 && NAME_PATTERN.test(name);
}

export function checkAccountName(name: unknown, what = 'account'): string {
  if (typeof name !== 'string' || !isAccountName(name)) {
    throw new AccountError(
      'INVALID_INPUT',
      `${what} name must be lowercase letters, digits and single separators (. _ -), at most 64 characters`,
    );
  }
  if (RESERVED.has(name)) throw new AccountError('INVALID_INPUT', `"${name}" is reserved`);
  return name;
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
  ...(u.fullName !== undefined && { fullName: u.fullName }),
  createdAt: new Date(u.createdAt).toISOString(),
});

export function createAccounts(db: AccountsDb, now: () => number = Date.now) {
  // A user under a name no account can have: none, without asking LMDB (which throws on long keys).
  const userNamed = (name: string): UserRecord | undefined => (isAccountName(name) ? db.users.get(name) : undefined);
  const requireUser = (name: string): UserRecord => {
    const user = db.users.get(name);
    if (!user) throw new AccountError('NOT_FOUND', `user "${name}" does not exist`);
    return user;
  };
  const requireOrg = (name: string): OrgRecord => {
    const org = db.orgs.get(name);
    if (!org) throw new AccountError('NOT_FOUND', `organization "${name}" does not exist`);
    return org;
  };
  const requireTeam = (org: string, team: string) => {
    requireOrg(org);
    if (!db.teams.doesExist(key(org, team)))
      throw new AccountError('NOT_FOUND', `team "${team}" does not exist in "${org}"`);
  };
  const nameTaken = (name: string) => db.users.doesExist(name) || db.orgs.doesExist(name);
  /** Removes the user's refresh tokens and sessions; call inside a transaction. */
  /**
   * Refuses to remove an account whose namespace still has repositories: names are the only
   * link between an account and its repositories, so a later account of the same name would
   * own them (private images, events, grants). Called inside the removing transaction, so a
   * push cannot create one between the check and the removal.
   */
  const requireNoRepositories = (name: string, what: string): void => {
    const count = db.repositories.getKeysCount({ start: `${name}/`, end: `${name}0` });
    if (count === 0) return;
    throw new AccountError(
      'CONFLICT',
      `${what} "${name}" still has ${count} repositor${count === 1 ? 'y' : 'ies'} (${name}/...): ` +
        'delete them first, so that no later account of the same name inherits them',
    );
  };

  function revokeInTransaction(name: string): number {
    let revoked = 0;
    for (const sub of [db.refreshTokens, db.sessions] as const) {
      for (const { key: k, value } of [...sub.getRange()]) {
        if (value.user !== name) continue;
        sub.remove(k);
        revoked++;
      }
    }
    return revoked;
  }
  const revokeCredentials = (name: string): Promise<number> => db.transaction(() => revokeInTransaction(name));

  return {
    userCount: () => db.users.getKeysCount(),

    async createUser(input: NewUser): Promise<UserView> {
      const name = checkAccountName(input.name, 'user');
      const passwordHash = await hashPassword(checkPassword(input.password));
      const record: UserRecord = {
        id: randomBytes(16).toString('base64url'),
        passwordHash,
        isAdmin: input.isAdmin ?? false,
        isActive: input.isActive ?? true,
        ...(input.fullName !== undefined && { fullName: String(input.fullName).slice(0, 200) }),
        createdAt: now(),
        settings: {},
      };
      const created = await db.transaction(() => {
        if (nameTaken(name)) return false;
        db.users.put(name, record);
        return true;
      });
      if (!created) throw new AccountError('ALREADY_EXISTS', `an account named "${name}" already exists`);
      return toView(name, record);
    },

    getUser: (name: string): UserView | undefined => {
      const user = userNamed(name);
      return user && toView(name, user);
    },

    listUsers: (): UserView[] => [...db.users.getRange()].map(({ key: name, value }) => toView(name, value)),

    async updateUser(name: string, update: UserUpdate): Promise<UserView> {
      const user = requireUser(name);
      const next: UserRecord = { ...user };
      if (update.isAdmin !== undefined) next.isAdmin = Boolean(update.isAdmin);
      if (update.isActive !== undefined) next.isActive = Boolean(update.isActive);
      if (update.fullName !== undefined) next.fullName = String(update.fullName).slice(0, 200);
      if (update.password !== undefined) next.passwordHash = await hashPassword(checkPassword(update.password));
      await db.users.put(name, next);
      return toView(name, next);
    },

    async removeUser(name: string): Promise<void> {
      requireUser(name);
      // Memberships, refresh tokens and sessions are keyed by name: left behind, they would
      // pass to a later account created with the same name. One transaction: all go, or none.
      await db.transaction(() => {
        requireNoRepositories(name, 'user');
        db.users.remove(name);
        for (const k of [...db.orgMembers.getKeys()]) if (splitKey(k)[1] === name) db.orgMembers.remove(k);
        for (const k of [...db.teamMembers.getKeys()]) if (splitKey(k)[2] === name) db.teamMembers.remove(k);
        revokeInTransaction(name);
      });
    },

    /** Ends the user's web sessions and invalidates its refresh tokens; returns how many. */
    revokeCredentials,

    /** The user's immutable id (see `userIdOf`); undefined for no user. */
    userId: (name: string): string | undefined => {
      const user = userNamed(name);
      return user && userIdOf(user);
    },

    /** Changes whenever the user's password does (for caches of verified passwords); undefined for no user. */
    passwordVersion: (name: string): string | undefined => userNamed(name)?.passwordHash,

    /** The user when the password is right and the account active; undefined otherwise. */
    async authenticate(name: string, password: string): Promise<UserView | undefined> {
      const user = userNamed(name);
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
        createdAt: now(),
        settings: {},
        ...(typeof input.fullName === 'string' && { fullName: input.fullName.slice(0, 200) }),
      };
      const created = await db.transaction(() => {
        if (nameTaken(name)) return false;
        db.orgs.put(name, record);
        return true;
      });
      if (!created) throw new AccountError('ALREADY_EXISTS', `an account named "${name}" already exists`);
      return { name, ...(record.fullName !== undefined && { fullName: record.fullName }) };
    },

    getOrg: (name: string) => db.orgs.get(name),
    listOrgs: () =>
      [...db.orgs.getRange()].map(({ key: name, value }) => ({
        name,
        ...(value.fullName !== undefined && { fullName: value.fullName }),
      })),

    async removeOrg(name: string): Promise<void> {
      requireOrg(name);
      await db.transaction(() => {
        requireNoRepositories(name, 'organization');
        db.orgs.remove(name);
        for (const sub of [db.orgMembers, db.teams, db.teamMembers, db.teamAccess] as const) {
          for (const k of [...sub.getKeys(prefixRange([name]))]) sub.remove(k);
        }
      });
    },

    async setOrgMember(org: string, user: string, isAdmin: boolean): Promise<void> {
      requireOrg(org);
      requireUser(user);
      await db.orgMembers.put(key(org, user), { isAdmin });
    },

    async removeOrgMember(org: string, user: string): Promise<void> {
      requireOrg(org);
      await db.transaction(() => {
        db.orgMembers.remove(key(org, user));
        for (const teamKey of [...db.teamMembers.getKeys(prefixRange([org]))]) {
          if (splitKey(teamKey)[2] === user) db.teamMembers.remove(teamKey);
        }
      });
    },

    listOrgMembers: (org: string) => {
      requireOrg(org);
      return [...db.orgMembers.getRange(prefixRange([org]))].map(({ key: k, value }) => ({
        name: splitKey(k)[1]!,
        isAdmin: value.isAdmin,
      }));
    },

    /** Organizations `user` belongs to. */
    orgsOf: (user: string): string[] =>
      [...db.orgMembers.getKeys()]
        .map(splitKey)
        .filter((p) => p[1] === user)
        .map((p) => p[0]!),

    async createTeam(org: string, team: unknown, description?: unknown): Promise<void> {
      requireOrg(org);
      const name = checkAccountName(team, 'team');
      if (db.teams.doesExist(key(org, name)))
        throw new AccountError('ALREADY_EXISTS', `team "${name}" already exists in "${org}"`);
      await db.teams.put(key(org, name), {
        createdAt: now(),
        ...(typeof description === 'string' && { description: description.slice(0, 500) }),
      });
    },

    async removeTeam(org: string, team: string): Promise<void> {
      requireTeam(org, team);
      await db.transaction(() => {
        db.teams.remove(key(org, team));
        for (const sub of [db.teamMembers, db.teamAccess] as const) {
          for (const k of [...sub.getKeys(prefixRange([org, team]))]) sub.remove(k);
        }
      });
    },

    listTeams: (org: string) => {
      requireOrg(org);
      return [...db.teams.getRange(prefixRange([org]))].map(({ key: k, value }) => ({
        name: splitKey(k)[1]!,
        ...(value.description !== undefined && { description: value.description }),
      }));
    },

    async addTeamMember(org: string, team: string, user: string): Promise<void> {
      requireTeam(org, team);
      requireUser(user);
      await db.transaction(() => {
        if (!db.orgMembers.doesExist(key(org, user))) db.orgMembers.put(key(org, user), { isAdmin: false });
        db.teamMembers.put(key(org, team, user), true);
      });
    },

    async removeTeamMember(org: string, team: string, user: string): Promise<void> {
      requireTeam(org, team);
      await db.teamMembers.remove(key(org, team, user));
    },

    listTeamMembers: (org: string, team: string) => {
      requireTeam(org, team);
      return [...db.teamMembers.getKeys(prefixRange([org, team]))].map((k) => splitKey(k)[2]!);
    },

    async setTeamAccess(org: string, team: string, repo: string, level: unknown): Promise<void> {
      requireTeam(org, team);
      if (typeof level !== 'string' || !ACCESS_LEVELS.has(level))
        throw new AccountError('INVALID_INPUT', 'accessLevel must be read, read-write or admin');
      if (!isRepoName(repo) || !repo.startsWith(`${org}/`))
        throw new AccountError('INVALID_INPUT', `repository must be in the "${org}/" namespace`);
      await db.teamAccess.put(key(org, team, repo), { accessLevel: level as AccessLevel });
    },

    async removeTeamAccess(org: string, team: string, repo: string): Promise<void> {
      requireTeam(org, team);
      await db.teamAccess.remove(key(org, team, repo));
    },

    listTeamAccess: (org: string, team: string) => {
      requireTeam(org, team);
      return [...db.teamAccess.getRange(prefixRange([org, team]))].map(({ key: k, value }) => ({
        repository: splitKey(k)[2]!,
        accessLevel: value.accessLevel,
      }));
    },

    getSettings(account: string): AccountSettings {
      const record = db.users.get(account) ?? db.orgs.get(account);
      if (!record) throw new AccountError('NOT_FOUND', `account "${account}" does not exist`);
      return { ...record.settings };
    },

    async updateSettings(account: string, patch: AccountSettings): Promise<AccountSettings> {
      const user = db.users.get(account);
      if (user) {
        const settings = { ...user.settings, ...patch };
        await db.users.put(account, { ...user, settings });
        return settings;
      }
      const org = requireOrg(account);
      const settings = { ...org.settings, ...patch };
      await db.orgs.put(account, { ...org, settings });
      return settings;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
