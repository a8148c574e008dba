/**
 * @module Users, organizations, teams and grants: the account operations the API, the web
 * pages and the CLI share. Validation happens here, once (organizations and teams: organizations.ts).
 */
import { randomBytes } from 'node:crypto';
import type { AccountSettings, AccountStore, RemoveOutcome, UserRecord } from '../metadata/accounts.js';
import { AccountError } from './errors.js';
import { checkAccountName, isAccountName } from './account-names.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { alreadyExists, createOrganizations } from './organizations.js';

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
  const organizations = createOrganizations(store, { requireUser, refuseRemoval, now });
  const addUser = async (name: string, passwordHash: string, input: Omit<NewUser, 'name' | 'password'>) => {
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
  };

  return {
    userCount: () => store.countUsers(),

    async createUser(input: NewUser): Promise<UserView> {
      const name = checkAccountName(input.name, 'user');
      return addUser(name, await hashPassword(checkPassword(input.password)), input);
    },

    /** A user whose password is the directory's (first sign-in, or the sync); ALREADY_EXISTS when the name is taken. */
    async createDirectoryUser(input: { name: string; fullName?: string; isActive?: boolean }): Promise<UserView> {
      const name = checkAccountName(input.name, 'user');
      return addUser(name, DIRECTORY_PASSWORD, { ...input, isAdmin: false });
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

    ...organizations,

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

export type Accounts = ReturnType<typeof createAccounts>;

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
