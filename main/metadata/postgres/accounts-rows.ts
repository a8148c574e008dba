/**
 * @module The accounts tables' rows as records (main/metadata/postgres/accounts.ts), the
 * statements other owners run inside their own transactions (the registry locks a namespace's
 * account while it creates a repository, and takes the grants with a deleted repository), and
 * the locks and error codes the store's writes rely on.
 */
import type { AccountSettings, OrgRecord, TeamRecord, UserRecord } from '../accounts.js';
import type { Queryable } from './database.js';

/**
 * For the registry owner's repository creation, inside its transaction: waits while the
 * namespace's account is being removed, and keeps it from being removed until that
 * transaction ends. True when `namespace` is an account.
 */
export async function lockNamespaceAccount(tx: Queryable, namespace: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM accounts WHERE name = $1 FOR KEY SHARE', [namespace])).length > 0;
}

/**
 * For the registry owner's repository deletion, inside its transaction: the teams' grants on
 * `repository` go with it, so that a later repository of the same name is granted nothing.
 */
export async function removeRepositoryGrants(tx: Queryable, repository: string): Promise<number> {
  return (await tx.query('DELETE FROM team_access WHERE repository = $1 RETURNING 1', [repository])).length;
}

export interface UserRow {
  name: string;
  id: string | null;
  password_hash: string;
  is_admin: boolean;
  is_active: boolean;
  full_name: string | null;
  created_at: string;
  settings: AccountSettings;
}
export interface OrgRow {
  name: string;
  full_name: string | null;
  created_at: string;
  settings: AccountSettings;
}
export interface TeamRow {
  name: string;
  description: string | null;
  created_at: string;
}

export const USER_COLUMNS = 'name, id, password_hash, is_admin, is_active, full_name, created_at, settings';
export const ORG_COLUMNS = 'name, full_name, created_at, settings';

export const toUser = (r: UserRow): UserRecord => ({
  name: r.name,
  ...(r.id !== null && { id: r.id }),
  passwordHash: r.password_hash,
  isAdmin: r.is_admin,
  isActive: r.is_active,
  ...(r.full_name !== null && { fullName: r.full_name }),
  // bigint comes back as a string: epoch milliseconds fit a double exactly.
  createdAt: Number(r.created_at),
  settings: r.settings,
});
export const toOrg = (r: OrgRow): OrgRecord => ({
  name: r.name,
  ...(r.full_name !== null && { fullName: r.full_name }),
  createdAt: Number(r.created_at),
  settings: r.settings,
});
export const toTeam = (r: TeamRow): TeamRecord => ({
  name: r.name,
  ...(r.description !== null && { description: r.description }),
  createdAt: Number(r.created_at),
});

// The name is taken when the row that loses the race hits `accounts`' primary key.
export const isNameTaken = (err: unknown) =>
  (err as { code?: unknown }).code === '23505' && (err as { constraint?: unknown }).constraint === 'accounts_pkey';
export const isForeignKeyViolation = (err: unknown) => (err as { code?: unknown }).code === '23503';

/** Locks the active administrators' rows and says whether one other than `name` exists. */
export async function anotherActiveAdmin(tx: Queryable, name: string): Promise<boolean> {
  const admins = await tx.query<{ name: string }>(
    'SELECT name FROM users WHERE is_admin AND is_active ORDER BY name FOR UPDATE',
  );
  return admins.some((a) => a.name !== name);
}

/** A patch without its undefined keys (JSON would drop them anyway; this keeps the intent visible). */
export function withoutUndefined(patch: AccountSettings): AccountSettings {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}
