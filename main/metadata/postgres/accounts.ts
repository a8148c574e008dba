/**
 * @module `AccountStore` on PostgreSQL (tables: ./accounts-schema.ts). Several replicas write at
 * once, so what the LMDB store got from being the only writer comes from the schema and locks:
 * - names: `accounts.name` is the primary key of users and organizations alike; a creation that
 *   loses the race gets a unique violation and answers `name-taken`;
 * - the last active administrator: guarded changes lock every active administrator's row
 *   (`FOR UPDATE`) before counting, so two demotions at once are serialized and the second sees
 *   the first;
 * - removing an account locks its `accounts` row before counting the namespace's repositories;
 *   the registry owner takes `lockNamespaceAccount` (./accounts-rows.ts, a share lock on that row) when it creates a
 *   repository, so a push and a removal of its namespace cannot both succeed.
 * Request-path reads (`namespaceAccess`, `getUser`) are one query each, on primary keys.
 */
import type {
  AccessLevel,
  AccountSettings,
  AccountStore,
  AdminGuard,
  CachePreferences,
  NamespaceAccess,
  RemoveOutcome,
  UserRecord,
  UserUpdateOutcome,
} from '../accounts.js';
import type { PostgresDatabase, Queryable } from './database.js';
import {
  anotherActiveAdmin,
  isForeignKeyViolation,
  isNameTaken,
  ORG_COLUMNS,
  toOrg,
  toTeam,
  toUser,
  USER_COLUMNS,
  withoutUndefined,
  type OrgRow,
  type TeamRow,
  type UserRow,
} from './accounts-rows.js';

export interface PostgresAccountStoreDeps {
  /** Repositories under `<namespace>/`, read inside the transaction removing the account. */
  countRepositoriesInNamespace(tx: Queryable, namespace: string): Promise<number>;
  /** Ends the user's sessions and refresh tokens, inside the transaction removing the user. */
  revokeUserCredentials(tx: Queryable, user: string): Promise<number>;
}

export function createPostgresAccountStore(db: PostgresDatabase, deps: PostgresAccountStoreDeps): AccountStore {
  const one = async <R extends object>(sql: string, params: unknown[]): Promise<R | undefined> =>
    (await db.query<R>(sql, params))[0];
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.query<{ n: string }>(sql, params))[0]?.n ?? 0);

  /** Inserts the account name and its row; `name-taken` when any account has the name. */
  async function createAccount(insert: (tx: Queryable) => Promise<unknown>) {
    try {
      return await db.transaction(async (tx) => {
        await insert(tx);
        return 'created' as const;
      });
    } catch (err) {
      if (isNameTaken(err)) return 'name-taken' as const;
      throw err;
    }
  }

  /** Locks the account row, refuses while its namespace has repositories, then deletes it (cascading). */
  async function removeAccount(
    tx: Queryable,
    name: string,
    beforeDelete: (tx: Queryable) => Promise<void> = async () => {},
  ): Promise<RemoveOutcome> {
    const repositories = await deps.countRepositoriesInNamespace(tx, name);
    if (repositories > 0) return { outcome: 'has-repositories', count: repositories };
    await beforeDelete(tx);
    await tx.query('DELETE FROM accounts WHERE name = $1', [name]);
    return { outcome: 'removed' };
  }

  const store: AccountStore = {
    async getUser(name) {
      const row = await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = $1`, [name]);
      return row && toUser(row);
    },
    async listUsers() {
      return (await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name COLLATE "C"`)).map(toUser);
    },
    countUsers: () => count('SELECT count(*) AS n FROM users'),
    createUser: (u) =>
      createAccount(async (tx) => {
        await tx.query(`INSERT INTO accounts (name, kind) VALUES ($1, 'user')`, [u.name]);
        await tx.query(`INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          u.name,
          u.id ?? null,
          u.passwordHash,
          u.isAdmin,
          u.isActive,
          u.fullName ?? null,
          u.createdAt,
          u.settings,
        ]);
      }),
    updateUser: (name, changes, guard: AdminGuard = {}) =>
      db.transaction(async (tx): Promise<UserUpdateOutcome> => {
        // The guard's lock first, then the user's: every guarded writer takes them in that order.
        const mayLoseAdmin = guard.keepAnActiveAdmin && (changes.isAdmin === false || changes.isActive === false);
        const others = mayLoseAdmin ? await anotherActiveAdmin(tx, name) : true;
        const [row] = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = $1 FOR UPDATE`, [name]);
        if (!row) return { outcome: 'not-found' };
        const current = toUser(row);
        const next: UserRecord = { ...current, ...changes };
        if (current.isAdmin && current.isActive && !(next.isAdmin && next.isActive) && !others)
          return { outcome: 'last-admin' };
        await tx.query(
          `UPDATE users SET password_hash = $2, is_admin = $3, is_active = $4, full_name = $5 WHERE name = $1`,
          [name, next.passwordHash, next.isAdmin, next.isActive, next.fullName ?? null],
        );
        return { outcome: 'updated', user: next };
      }),
    removeUser: (name, guard: AdminGuard = {}) =>
      db.transaction(async (tx): Promise<RemoveOutcome> => {
        const others = guard.keepAnActiveAdmin ? await anotherActiveAdmin(tx, name) : true;
        const [row] = await tx.query<{ is_admin: boolean; is_active: boolean }>(
          `SELECT u.is_admin, u.is_active FROM accounts a JOIN users u USING (name) WHERE a.name = $1 FOR UPDATE`,
          [name],
        );
        if (!row) return { outcome: 'not-found' };
        if (row.is_admin && row.is_active && !others) return { outcome: 'last-admin' };
        return removeAccount(tx, name, async () => {
          await deps.revokeUserCredentials(tx, name);
        });
      }),

    async getOrg(name) {
      const row = await one<OrgRow>(`SELECT ${ORG_COLUMNS} FROM organizations WHERE name = $1`, [name]);
      return row && toOrg(row);
    },
    async listOrgs() {
      return (await db.query<OrgRow>(`SELECT ${ORG_COLUMNS} FROM organizations ORDER BY name COLLATE "C"`)).map(toOrg);
    },
    countOrgs: () => count('SELECT count(*) AS n FROM organizations'),
    createOrg: (o) =>
      createAccount(async (tx) => {
        await tx.query(`INSERT INTO accounts (name, kind) VALUES ($1, 'organization')`, [o.name]);
        await tx.query(`INSERT INTO organizations (${ORG_COLUMNS}) VALUES ($1, $2, $3, $4)`, [
          o.name,
          o.fullName ?? null,
          o.createdAt,
          o.settings,
        ]);
      }),
    async updateOrg(name, changes) {
      const row = await one<OrgRow>(
        `UPDATE organizations SET full_name = COALESCE($2, full_name) WHERE name = $1 RETURNING ${ORG_COLUMNS}`,
        [name, changes.fullName ?? null],
      );
      return row && toOrg(row);
    },
    removeOrg: (name) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query(`SELECT 1 FROM accounts WHERE name = $1 AND kind = 'organization' FOR UPDATE`, [
          name,
        ]);
        if (!row) return { outcome: 'not-found' as const };
        return (await removeAccount(tx, name)) as Exclude<RemoveOutcome, { outcome: 'last-admin' }>;
      }),

    async getSettings(account) {
      const row = await one<{ settings: AccountSettings }>(
        `SELECT settings FROM users WHERE name = $1 UNION ALL SELECT settings FROM organizations WHERE name = $1`,
        [account],
      );
      return row && { ...row.settings };
    },
    async updateSettings(account, patch) {
      // jsonb || merges in one statement: two patches at once both land.
      const row = await one<{ settings: AccountSettings }>(
        `WITH u AS (UPDATE users SET settings = settings || $2 WHERE name = $1 RETURNING settings),
              o AS (UPDATE organizations SET settings = settings || $2 WHERE name = $1 RETURNING settings)
         SELECT settings FROM u UNION ALL SELECT settings FROM o`,
        [account, JSON.stringify(withoutUndefined(patch))],
      );
      return row?.settings;
    },
    async cachePreferences(user): Promise<CachePreferences> {
      const rows = await db.query<{ org: string | null; own: string | null; cache: string | null }>(
        `SELECT NULL AS org, settings ->> 'defaultContentCache' AS own, NULL AS cache FROM users WHERE name = $1
         UNION ALL
         SELECT m.org, NULL, o.settings ->> 'defaultContentCache'
           FROM org_members m JOIN organizations o ON o.name = m.org WHERE m.user_name = $1`,
        [user],
      );
      const own = rows.find((r) => r.org === null)?.own;
      const organizations = rows
        .filter((r): r is { org: string; own: null; cache: string | null } => r.org !== null)
        .sort((a, b) => (a.org < b.org ? -1 : a.org > b.org ? 1 : 0))
        .map((r) => ({ name: r.org, ...(r.cache && { cache: r.cache }) }));
      return { ...(own && { user: own }), organizations };
    },

    async getOrgMember(org, user) {
      const row = await one<{ is_admin: boolean }>(
        'SELECT is_admin FROM org_members WHERE org = $1 AND user_name = $2',
        [org, user],
      );
      return row && { user, isAdmin: row.is_admin };
    },
    async listOrgMembers(org) {
      const rows = await db.query<{ user_name: string; is_admin: boolean }>(
        'SELECT user_name, is_admin FROM org_members WHERE org = $1 ORDER BY user_name COLLATE "C"',
        [org],
      );
      return rows.map((r) => ({ user: r.user_name, isAdmin: r.is_admin }));
    },
    async orgsOf(user) {
      const rows = await db.query<{ org: string }>(
        'SELECT org FROM org_members WHERE user_name = $1 ORDER BY org COLLATE "C"',
        [user],
      );
      return rows.map((r) => r.org);
    },
    async setOrgMember(org, user, isAdmin) {
      try {
        await db.query(
          `INSERT INTO org_members (org, user_name, is_admin) VALUES ($1, $2, $3)
           ON CONFLICT (org, user_name) DO UPDATE SET is_admin = EXCLUDED.is_admin`,
          [org, user, isAdmin],
        );
        return 'done';
      } catch (err) {
        if (!isForeignKeyViolation(err)) throw err;
        return (await store.getOrg(org)) ? 'no-user' : 'no-org';
      }
    },
    async removeOrgMember(org, user) {
      // Team memberships in `org` go with it (foreign key, on delete cascade).
      const rows = await db.query('DELETE FROM org_members WHERE org = $1 AND user_name = $2 RETURNING 1', [org, user]);
      return rows.length > 0;
    },

    async getTeam(org, team) {
      const row = await one<TeamRow>('SELECT name, description, created_at FROM teams WHERE org = $1 AND name = $2', [
        org,
        team,
      ]);
      return row && toTeam(row);
    },
    async listTeams(org) {
      const rows = await db.query<TeamRow>(
        'SELECT name, description, created_at FROM teams WHERE org = $1 ORDER BY name COLLATE "C"',
        [org],
      );
      return rows.map(toTeam);
    },
    async createTeam(org, t) {
      try {
        const rows = await db.query(
          `INSERT INTO teams (org, name, description, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (org, name) DO NOTHING RETURNING 1`,
          [org, t.name, t.description ?? null, t.createdAt],
        );
        return rows.length > 0 ? 'created' : 'name-taken';
      } catch (err) {
        if (isForeignKeyViolation(err)) return 'no-org';
        throw err;
      }
    },
    updateTeam: (org, team, patch) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<TeamRow>(
          'SELECT name, description, created_at FROM teams WHERE org = $1 AND name = $2 FOR UPDATE',
          [org, team],
        );
        if (!row) return 'no-team' as const;
        const description = patch.description === undefined ? row.description : patch.description;
        const name = patch.name ?? team;
        if (name === team) {
          await tx.query('UPDATE teams SET description = $3 WHERE org = $1 AND name = $2', [org, team, description]);
          return 'done' as const;
        }
        const inserted = await tx.query(
          `INSERT INTO teams (org, name, description, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (org, name) DO NOTHING RETURNING 1`,
          [org, name, description, row.created_at],
        );
        if (inserted.length === 0) return 'name-taken' as const;
        // Members and grants reference the team by name: moved to the new row before the old one goes.
        await tx.query('UPDATE team_members SET team = $3 WHERE org = $1 AND team = $2', [org, team, name]);
        await tx.query('UPDATE team_access SET team = $3 WHERE org = $1 AND team = $2', [org, team, name]);
        await tx.query('DELETE FROM teams WHERE org = $1 AND name = $2', [org, team]);
        return 'done' as const;
      }),
    async removeTeam(org, team) {
      const rows = await db.query('DELETE FROM teams WHERE org = $1 AND name = $2 RETURNING 1', [org, team]);
      return rows.length > 0;
    },
    async isTeamMember(org, team, user) {
      const rows = await db.query('SELECT 1 FROM team_members WHERE org = $1 AND team = $2 AND user_name = $3', [
        org,
        team,
        user,
      ]);
      return rows.length > 0;
    },
    async listTeamMembers(org, team) {
      const rows = await db.query<{ user_name: string }>(
        'SELECT user_name FROM team_members WHERE org = $1 AND team = $2 ORDER BY user_name COLLATE "C"',
        [org, team],
      );
      return rows.map((r) => r.user_name);
    },
    async addTeamMember(org, team, user) {
      try {
        return await db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO org_members (org, user_name, is_admin) VALUES ($1, $2, false)
             ON CONFLICT (org, user_name) DO NOTHING`,
            [org, user],
          );
          await tx.query(`INSERT INTO team_members (org, team, user_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
            org,
            team,
            user,
          ]);
          return 'done' as const;
        });
      } catch (err) {
        if (!isForeignKeyViolation(err)) throw err;
        if (!(await store.getOrg(org))) return 'no-org';
        return (await store.getTeam(org, team)) ? 'no-user' : 'no-team';
      }
    },
    async removeTeamMember(org, team, user) {
      const rows = await db.query(
        'DELETE FROM team_members WHERE org = $1 AND team = $2 AND user_name = $3 RETURNING 1',
        [org, team, user],
      );
      return rows.length > 0;
    },

    async listTeamAccess(org, team) {
      const rows = await db.query<{ repository: string; access_level: AccessLevel }>(
        `SELECT repository, access_level FROM team_access WHERE org = $1 AND team = $2
         ORDER BY repository COLLATE "C"`,
        [org, team],
      );
      return rows.map((r) => ({ repository: r.repository, accessLevel: r.access_level }));
    },
    async getTeamAccess(org, team, repository) {
      const row = await one<{ access_level: AccessLevel }>(
        'SELECT access_level FROM team_access WHERE org = $1 AND team = $2 AND repository = $3',
        [org, team, repository],
      );
      return row && { repository, accessLevel: row.access_level };
    },
    async setTeamAccess(org, team, grant) {
      try {
        await db.query(
          `INSERT INTO team_access (org, team, repository, access_level) VALUES ($1, $2, $3, $4)
           ON CONFLICT (org, team, repository) DO UPDATE SET access_level = EXCLUDED.access_level`,
          [org, team, grant.repository, grant.accessLevel],
        );
        return 'done';
      } catch (err) {
        if (isForeignKeyViolation(err)) return 'no-team';
        throw err;
      }
    },
    async removeTeamAccess(org, team, repository) {
      const rows = await db.query(
        'DELETE FROM team_access WHERE org = $1 AND team = $2 AND repository = $3 RETURNING 1',
        [org, team, repository],
      );
      return rows.length > 0;
    },

    async namespaceAccess(namespace, user, repository): Promise<NamespaceAccess> {
      // One round trip: whether the namespace is an organization, the user's membership, and
      // the levels granted on the repository to the teams the user is in.
      const rows = await db.query<{ is_org: boolean; org_admin: boolean | null; levels: AccessLevel[] | null }>(
        `SELECT EXISTS (SELECT 1 FROM organizations WHERE name = $1) AS is_org,
                (SELECT is_admin FROM org_members WHERE org = $1 AND user_name = $2) AS org_admin,
                (SELECT array_agg(a.access_level) FROM team_members m
                   JOIN team_access a ON a.org = m.org AND a.team = m.team
                  WHERE m.org = $1 AND m.user_name = $2 AND a.repository = $3) AS levels`,
        [namespace, user ?? null, repository],
      );
      const row = rows[0];
      if (!row?.is_org) return { isOrg: false, orgAdmin: false, teamLevels: [] };
      return { isOrg: true, orgAdmin: row.org_admin === true, teamLevels: row.levels ?? [] };
    },
    async accountType(name) {
      const row = await one<{ kind: 'user' | 'organization' }>('SELECT kind FROM accounts WHERE name = $1', [name]);
      return row?.kind;
    },
  };
  return store;
}
