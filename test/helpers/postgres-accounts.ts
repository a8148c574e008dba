/**
 * The accounts and settings owners on a fresh PostgreSQL database, with stand-ins for what the
 * registry and sessions owners keep (repositories, credentials): small tables of this helper's
 * own, read and written inside the accounts store's transactions through the same injected
 * functions the real owners provide.
 */
import { PostgresDatabase, type Queryable } from '../../main/metadata/postgres/database.js';
import { applyMigrations, type Migration } from '../../main/metadata/postgres/migrations.js';
import { ACCOUNTS_MIGRATIONS } from '../../main/metadata/postgres/accounts-schema.js';
import { SETTINGS_MIGRATIONS } from '../../main/metadata/postgres/settings-schema.js';
import { createPostgresAccountStore } from '../../main/metadata/postgres/accounts.js';
import type { AccountStore } from '../../main/metadata/accounts.js';

export const STAND_IN_MIGRATIONS = [
  {
    id: 'standins-001-tables',
    sql: `CREATE TABLE standin_repositories (name text PRIMARY KEY);
          CREATE TABLE standin_credentials (id serial PRIMARY KEY, user_name text NOT NULL);`,
  },
];

/** Applies the accounts, settings and stand-in migrations, then `others` (the full list each time: applyMigrations refuses unknown ids). */
export async function migrate(url: string, others: readonly Migration[] = []): Promise<void> {
  const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
  try {
    await applyMigrations(db, [...ACCOUNTS_MIGRATIONS, ...SETTINGS_MIGRATIONS, ...STAND_IN_MIGRATIONS, ...others]);
  } finally {
    await db.close();
  }
}

export const standIns = {
  countRepositoriesInNamespace: async (tx: Queryable, namespace: string) =>
    Number(
      (
        await tx.query<{ n: string }>(
          "SELECT count(*) AS n FROM standin_repositories WHERE starts_with(name, $1 || '/')",
          [namespace],
        )
      )[0]!.n,
    ),
  revokeUserCredentials: async (tx: Queryable, user: string) =>
    (await tx.query('DELETE FROM standin_credentials WHERE user_name = $1 RETURNING id', [user])).length,
};

export function postgresAccountStore(db: PostgresDatabase): AccountStore {
  return createPostgresAccountStore(db, standIns);
}
