/**
 * @module Accounts as the management API and the web pages change them: who may create, read,
 * change and remove users and organizations, and their settings. The operations themselves
 * (validation, storage) are accounts.ts; this adds the caller.
 *
 * Rules: admins may do everything. A user may read and change their own account (name,
 * password with the old one, settings) but not their own admin or active flags. Any signed-in
 * user may read organizations; their admins may change them. The last active admin can be
 * neither demoted, deactivated nor removed, so the registry always has someone to run it.
 */
import { OciError } from '../../src/oci/errors.js';
import type { AccountSettings } from '../metadata/accounts.js';
import type { AccessControl } from './access-control.js';
import type { Accounts, UserView } from './accounts.js';
import { verifyPassword } from './passwords.js';
import type { Principal } from './permissions.js';
import { AccountError } from './errors.js';

export type SignedIn = Principal & { kind: 'user' };

export type AccountView =
  /** A person who signs in. */
  | ({ type: 'user' } & UserView)
  /** A namespace with members and teams; nobody signs in as one. */
  | { type: 'organization'; name: string; fullName?: string; createdAt: string };

export interface NewAccount {
  type: 'user' | 'organization';
  name: string;
  password?: string;
  isAdmin?: boolean;
  isActive?: boolean;
  fullName?: string;
}

export interface AccountPatch {
  fullName?: string;
  isAdmin?: boolean;
  isActive?: boolean;
  password?: string;
  /** Required when users change their own password (admins resetting someone's need not). */
  oldPassword?: string;
}

/**
 * The signed-in user, or the same `UNAUTHORIZED` the authenticator throws for bad credentials
 * (the API answers it with a Basic challenge, the web pages with the sign-in form).
 */
export function signedIn(principal: Principal): SignedIn {
  if (principal.kind !== 'user') {
    throw new OciError('UNAUTHORIZED', { message: 'sign in first: send Basic credentials or the session cookie' });
  }
  return principal;
}

export function requireAdmin(principal: Principal, what: string): SignedIn {
  const user = signedIn(principal);
  if (!user.isAdmin) throw new AccountError('NO_PERMISSION', `only administrators may ${what}`);
  return user;
}

export interface AccountManagementDeps {
  accounts: Accounts;
  accessControl: AccessControl;
  /** Names of the registered content caches, to refuse a setting that names none of them. */
  cacheNames: () => Promise<string[]>;
}

export function createAccountManagement({ accounts, accessControl, cacheNames }: AccountManagementDeps) {
  const orgView = async (name: string): Promise<AccountView | undefined> => {
    const org = await accounts.getOrg(name);
    return (
      org && {
        type: 'organization',
        name,
        ...(org.fullName !== undefined && { fullName: org.fullName }),
        createdAt: new Date(org.createdAt).toISOString(),
      }
    );
  };
  const userView = async (name: string): Promise<AccountView | undefined> => {
    const user = await accounts.getUser(name);
    return user && { type: 'user', ...user };
  };
  const isOrg = (name: string) => accounts.isOrg(name);

  /** Admins, the user themself, and the admins of an organization manage that account. */
  async function requireManager(principal: Principal, name: string): Promise<SignedIn> {
    const user = signedIn(principal);
    const manages =
      user.isAdmin || user.name === name || ((await isOrg(name)) && (await accessControl.isOrgAdmin(user.name, name)));
    if (!manages) throw new AccountError('NO_PERMISSION', `${user.name} may not manage the account "${name}"`);
    return user;
  }

  async function requireAccount(name: string): Promise<AccountView> {
    const view = (await userView(name)) ?? (await orgView(name));
    if (!view) throw new AccountError('NOT_FOUND', `account "${name}" does not exist`);
    return view;
  }

  return {
    /** Creates a user or an organization (admins only). */
    async create(principal: Principal, input: NewAccount): Promise<AccountView> {
      requireAdmin(principal, 'create accounts');
      if (input.type === 'organization') {
        const org = await accounts.createOrg({
          name: input.name,
          ...(input.fullName !== undefined && { fullName: input.fullName }),
        });
        return (await orgView(org.name))!;
      }
      if (input.password === undefined) throw new AccountError('INVALID_INPUT', 'password is required');
      const user = await accounts.createUser({
        name: input.name,
        password: input.password,
        ...(input.isAdmin !== undefined && { isAdmin: input.isAdmin }),
        ...(input.isActive !== undefined && { isActive: input.isActive }),
        ...(input.fullName !== undefined && { fullName: input.fullName }),
      });
      return { type: 'user', ...user };
    },

    /** Every account for admins; for others, themselves and the organizations. In name order. */
    async list(principal: Principal): Promise<AccountView[]> {
      const user = signedIn(principal);
      const users = user.isAdmin
        ? await accounts.listUsers()
        : [await accounts.getUser(user.name)].filter((u): u is UserView => u !== undefined);
      const orgs = await Promise.all((await accounts.listOrgs()).map((o) => orgView(o.name)));
      const views: AccountView[] = [
        ...users.map((u) => ({ type: 'user' as const, ...u })),
        ...orgs.filter((o): o is AccountView => o !== undefined),
      ];
      return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    /** An account; other users are visible to admins only (NO_PERMISSION, whether or not they exist). */
    async get(principal: Principal, name: string): Promise<AccountView> {
      const user = signedIn(principal);
      if (!user.isAdmin && user.name !== name && !(await isOrg(name)))
        throw new AccountError('NO_PERMISSION', 'only administrators may view other users');
      return requireAccount(name);
    },

    async update(principal: Principal, name: string, patch: AccountPatch): Promise<AccountView> {
      const caller = await requireManager(principal, name);
      const current = await requireAccount(name);
      if (current.type === 'organization') {
        if (patch.password !== undefined || patch.isAdmin !== undefined || patch.isActive !== undefined) {
          throw new AccountError('INVALID_INPUT', 'an organization has only a fullName to change');
        }
        if (patch.fullName !== undefined) await accounts.updateOrg(name, patch.fullName);
        return requireAccount(name);
      }
      if ((patch.isAdmin !== undefined || patch.isActive !== undefined) && !caller.isAdmin) {
        throw new AccountError('NO_PERMISSION', 'only administrators may change isAdmin or isActive');
      }
      if (patch.password !== undefined && !caller.isAdmin) {
        const hash = await accounts.passwordVersion(name);
        if (typeof patch.oldPassword !== 'string' || !hash || !(await verifyPassword(patch.oldPassword, hash))) {
          throw new AccountError('NO_PERMISSION', 'oldPassword must be given and correct to change your password');
        }
      }
      const { oldPassword: _old, ...update } = patch;
      // The last active admin can be neither demoted nor deactivated: checked with the change.
      const updated = await accounts.updateUser(name, update, { keepAnActiveAdmin: true });
      // A changed password is often a leaked one: the sessions and refresh tokens issued under
      // the old one end too (self-service and admin resets alike, as the web form and the CLI).
      // Deactivation ends them as well, so that reactivating an account does not revive
      // credentials handed out before (the API and the web admin page both come here).
      if (patch.password !== undefined || patch.isActive === false) await accounts.revokeCredentials(name);
      return { type: 'user', ...updated };
    },

    /**
     * Removes a user (admins) or an organization (admins and its admins). CONFLICT, removing
     * nothing, while the namespace still has repositories (see `removeUser` in accounts.ts).
     */
    async remove(principal: Principal, name: string): Promise<void> {
      const caller = signedIn(principal);
      if (await isOrg(name)) {
        await requireManager(principal, name);
        await accounts.removeOrg(name);
        return;
      }
      if (!caller.isAdmin) throw new AccountError('NO_PERMISSION', 'only administrators may remove users');
      if (!(await accounts.getUser(name))) throw new AccountError('NOT_FOUND', `account "${name}" does not exist`);
      await accounts.removeUser(name, { keepAnActiveAdmin: true });
    },

    /** An account's settings (the user themself, an organization's admins, or admins). */
    async settings(principal: Principal, name: string): Promise<AccountSettings> {
      await requireManager(principal, name);
      return { defaultContentCache: '', ...(await accounts.getSettings(name)) };
    },

    async updateSettings(principal: Principal, name: string, patch: AccountSettings): Promise<AccountSettings> {
      await requireManager(principal, name);
      await requireAccount(name);
      const cache = patch.defaultContentCache;
      const known = cache ? await cacheNames() : [];
      if (cache && !known.includes(cache)) {
        throw new AccountError(
          'INVALID_INPUT',
          `defaultContentCache: "${cache}" is not a registered content cache ` +
            `(${known.length ? `known: ${known.join(', ')}` : 'none is registered'}); use "" for none`,
        );
      }
      return { defaultContentCache: '', ...(await accounts.updateSettings(name, patch)) };
    },
  };
}

export type AccountManagement = ReturnType<typeof createAccountManagement>;
