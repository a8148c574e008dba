/**
 * @module The tables of the accounts owner (main/metadata/postgres/accounts.ts). What one LMDB
 * writer guaranteed by running alone, constraints guarantee here whatever the replicas do:
 * - one name, one account: users and organizations both reference `accounts`, whose primary
 *   key is the name, and each row's `kind` must match its table;
 * - a user's `id` and `created_at` never change (a trigger; `userIdOf` derives legacy ids from
 *   `created_at`), and no two users share an id;
 * - a team member is a member of the team's organization (removing the membership removes
 *   the team memberships), and a grant names a repository of the team's organization;
 * - removing an account, an organization or a team removes what hangs off it (cascades).
 */
import type { Migration } from './migrations.js';

export const ACCOUNTS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'accounts-001-tables',
    sql: `
      CREATE TABLE accounts (
        name text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('user', 'organization')),
        UNIQUE (name, kind)
      );
      CREATE TABLE users (
        name text PRIMARY KEY,
        kind text NOT NULL DEFAULT 'user' CHECK (kind = 'user'),
        id text UNIQUE,
        password_hash text NOT NULL,
        is_admin boolean NOT NULL,
        is_active boolean NOT NULL,
        full_name text,
        created_at bigint NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}',
        FOREIGN KEY (name, kind) REFERENCES accounts (name, kind) ON DELETE CASCADE
      );
      CREATE INDEX users_active_admins ON users (name) WHERE is_admin AND is_active;
      CREATE TABLE organizations (
        name text PRIMARY KEY,
        kind text NOT NULL DEFAULT 'organization' CHECK (kind = 'organization'),
        full_name text,
        created_at bigint NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}',
        FOREIGN KEY (name, kind) REFERENCES accounts (name, kind) ON DELETE CASCADE
      );
      CREATE TABLE org_members (
        org text NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
        user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        is_admin boolean NOT NULL,
        PRIMARY KEY (org, user_name)
      );
      CREATE INDEX org_members_by_user ON org_members (user_name);
      CREATE TABLE teams (
        org text NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        created_at bigint NOT NULL,
        PRIMARY KEY (org, name)
      );
      CREATE TABLE team_members (
        org text NOT NULL,
        team text NOT NULL,
        user_name text NOT NULL,
        PRIMARY KEY (org, team, user_name),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE,
        FOREIGN KEY (org, user_name) REFERENCES org_members (org, user_name) ON DELETE CASCADE
      );
      CREATE INDEX team_members_by_user ON team_members (org, user_name);
      CREATE TABLE team_access (
        org text NOT NULL,
        team text NOT NULL,
        repository text NOT NULL CHECK (starts_with(repository, org || '/')),
        access_level text NOT NULL CHECK (access_level IN ('read', 'read-write', 'admin')),
        PRIMARY KEY (org, team, repository),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
      );
      CREATE INDEX team_access_by_repository ON team_access (repository);

      CREATE FUNCTION users_keep_identity() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at <> OLD.created_at OR NEW.name <> OLD.name THEN
          RAISE EXCEPTION 'a user''s name, id and creation time never change'
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER users_keep_identity BEFORE UPDATE ON users
        FOR EACH ROW EXECUTE FUNCTION users_keep_identity();`,
  },
];
