/**
 * @module The accounts owner: users, organizations, their members, teams, team members and the
 * teams' grants on repositories. The only door to those records; main/accounts/ validates names,
 * passwords and permissions and then calls one method here.
 *
 * Every method is atomic on its own: a write that touches several records (removing a user
 * with its memberships and credentials, adding a team member who is not in the organization
 * yet) commits all of it or none. Refusals that depend on other records are answered from
 * inside that same transaction, as an outcome (never an exception), so that two replicas
 * racing each other cannot both pass a check that only one of them may pass:
 * - a name is one account's, user or organization (`name-taken`);
 * - an account whose namespace still has repositories is not removed (`has-repositories`);
 * - with `keepAnActiveAdmin`, a change that would leave no active administrator is refused
 *   (`last-admin`).
 * A user's `id` is set at creation and never changes.
 *
 * Failures of the backend itself (unreachable, disk full) reject with the backend's error.
 */

/** Who may do what in a repository a team is granted (permissions.ts turns it into actions). */
export type AccessLevel = 'read' | 'read-write' | 'admin';

export interface AccountSettings {
  /** Name of the content cache this account pulls from by default ('' or absent: none). */
  defaultContentCache?: string;
}

export interface UserRecord {
  name: string;
  /**
   * Random and immutable, created with the user: tokens, refresh tokens and sessions carry it,
   * so that they die with the account even if its name is taken again. Records written before
   * ids existed have none (accounts.ts `userIdOf` stands in).
   */
  id?: string;
  passwordHash: string;
  isAdmin: boolean;
  isActive: boolean;
  fullName?: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  settings: AccountSettings;
}

export interface OrgRecord {
  name: string;
  fullName?: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  settings: AccountSettings;
}

export interface OrgMember {
  user: string;
  /** Administers the organization (changes members, teams and grants, owns its repositories). */
  isAdmin: boolean;
}

export interface TeamRecord {
  name: string;
  description?: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface TeamPatch {
  name?: string;
  description?: string | null;
}

export interface TeamGrant {
  /** The repository's full name, always in the team's organization (`<org>/...`). */
  repository: string;
  accessLevel: AccessLevel;
}

/** What may change on a user; the name and the id never do. */
export type UserChanges = Partial<Pick<UserRecord, 'passwordHash' | 'isAdmin' | 'isActive' | 'fullName'>>;

export interface AdminGuard {
  /** Refuse (`last-admin`) when the change leaves no active administrator. */
  keepAnActiveAdmin?: boolean;
}

export type CreateOutcome =
  /** Stored. */
  | 'created'
  /** A user or an organization already has the name; nothing changed. */
  | 'name-taken';

export type UserUpdateOutcome =
  /** Stored; the user as it is now. */
  | { outcome: 'updated'; user: UserRecord }
  | { outcome: 'not-found' }
  /** The user was the last active administrator and would no longer be; nothing changed. */
  | { outcome: 'last-admin' };

export type RemoveOutcome =
  /** The account and everything that was its own are gone. */
  | { outcome: 'removed' }
  | { outcome: 'not-found' }
  /** The namespace `<name>/` still has `count` repositories; nothing changed. */
  | { outcome: 'has-repositories'; count: number }
  /** The user was the last active administrator; nothing changed. */
  | { outcome: 'last-admin' };

export type MembershipOutcome =
  /** Stored. */
  'done' | 'no-org' | 'no-team' | 'no-user';

/** What decides a user's rights in an organization's repository (access-control.ts). */
export interface NamespaceAccess {
  /** The namespace is an organization. */
  isOrg: boolean;
  /** The user administers that organization. */
  orgAdmin: boolean;
  /** The levels of every grant on the repository held by a team the user is in. */
  teamLevels: AccessLevel[];
}

/** The content caches an account's settings name, for the redirect decision. */
export interface CachePreferences {
  /** The user's own choice, when set. */
  user?: string;
  /** The user's organizations in name order, each with its default cache when set. */
  organizations: Array<{ name: string; cache?: string }>;
}

export interface AccountStore {
  getUser(name: string): Promise<UserRecord | undefined>;
  /** Every user, in name order. */
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** `name-taken` when a user or an organization has `user.name`. */
  createUser(user: UserRecord): Promise<CreateOutcome>;
  updateUser(name: string, changes: UserChanges, guard?: AdminGuard): Promise<UserUpdateOutcome>;
  /**
   * Removes the user, its organization and team memberships, and (through the backend's
   * sessions owner) its sessions and refresh tokens, in one transaction.
   */
  removeUser(name: string, guard?: AdminGuard): Promise<RemoveOutcome>;

  getOrg(name: string): Promise<OrgRecord | undefined>;
  /** Every organization, in name order. */
  listOrgs(): Promise<OrgRecord[]>;
  countOrgs(): Promise<number>;
  /** `name-taken` when a user or an organization has `org.name`. */
  createOrg(org: OrgRecord): Promise<CreateOutcome>;
  /** The organization as it is now; undefined when there is none. */
  updateOrg(name: string, changes: { fullName?: string }): Promise<OrgRecord | undefined>;
  /** Removes the organization with its members, teams, team members and grants. */
  removeOrg(name: string): Promise<Exclude<RemoveOutcome, { outcome: 'last-admin' }>>;

  /** The settings of the user or organization `account`; undefined when neither exists. */
  getSettings(account: string): Promise<AccountSettings | undefined>;
  /** Merges `patch`; the result, or undefined when no account has the name. */
  updateSettings(account: string, patch: AccountSettings): Promise<AccountSettings | undefined>;
  cachePreferences(user: string): Promise<CachePreferences>;

  getOrgMember(org: string, user: string): Promise<OrgMember | undefined>;
  /** In user name order. */
  listOrgMembers(org: string): Promise<OrgMember[]>;
  /** The organizations `user` is a member of, in name order. */
  orgsOf(user: string): Promise<string[]>;
  /** Adds or changes the membership. */
  setOrgMember(org: string, user: string, isAdmin: boolean): Promise<MembershipOutcome>;
  /** Removes the membership and the user's team memberships in `org`; false when it was none. */
  removeOrgMember(org: string, user: string): Promise<boolean>;

  getTeam(org: string, team: string): Promise<TeamRecord | undefined>;
  /** In team name order. */
  listTeams(org: string): Promise<TeamRecord[]>;
  /** `name-taken` when the organization has a team of that name already. */
  createTeam(org: string, team: TeamRecord): Promise<CreateOutcome | 'no-org'>;
  /**
   * Renames the team and/or changes its description (`null` removes it), keeping its members and
   * grants, in one transaction. `name-taken` when the organization has a team of the new name.
   */
  updateTeam(org: string, team: string, patch: TeamPatch): Promise<'done' | 'no-team' | 'name-taken'>;
  /** Removes the team with its members and grants; false when there was none. */
  removeTeam(org: string, team: string): Promise<boolean>;
  isTeamMember(org: string, team: string, user: string): Promise<boolean>;
  /** User names, in order. */
  listTeamMembers(org: string, team: string): Promise<string[]>;
  /** Adds the user to the team, and to the organization as a plain member when not in it yet. */
  addTeamMember(org: string, team: string, user: string): Promise<MembershipOutcome>;
  /** False when the user was not in the team. */
  removeTeamMember(org: string, team: string, user: string): Promise<boolean>;

  /** In repository name order. */
  listTeamAccess(org: string, team: string): Promise<TeamGrant[]>;
  getTeamAccess(org: string, team: string, repository: string): Promise<TeamGrant | undefined>;
  /** Adds or changes the grant. */
  setTeamAccess(org: string, team: string, grant: TeamGrant): Promise<'done' | 'no-team'>;
  /** False when the team had no grant on the repository. */
  removeTeamAccess(org: string, team: string, repository: string): Promise<boolean>;

  /**
   * What decides the rights of `user` (undefined: anonymous) in `repository` of `namespace`.
   * On every registry request: a bounded number of lookups, whatever the number of accounts.
   */
  namespaceAccess(namespace: string, user: string | undefined, repository: string): Promise<NamespaceAccess>;
  /** Whether the namespace is a user's, an organization's, or no account's. */
  accountType(name: string): Promise<'user' | 'organization' | undefined>;
}
