/** @module Loads migration records into the accounts owner's tables (accounts-schema.ts). */
import type { MigrationTargets } from './load-target.js';

type AccountTargets = Pick<MigrationTargets, 'users' | 'orgs' | 'orgMembers' | 'teams' | 'teamMembers' | 'teamGrants'>;

export const ACCOUNT_LOADS: AccountTargets = {
  users: {
    table: 'users',
    async load(tx, users) {
      for (const u of users) {
        await tx.query(`INSERT INTO accounts (name, kind) VALUES ($1, 'user') ON CONFLICT DO NOTHING`, [u.name]);
        // A user's id and creation time never change (a trigger): a row already there stays as it is.
        await tx.query(
          `INSERT INTO users (name, id, password_hash, is_admin, is_active, full_name, created_at, settings)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING`,
          [u.name, u.id ?? null, u.passwordHash, u.isAdmin, u.isActive, u.fullName ?? null, u.createdAt, u.settings],
        );
      }
    },
  },
  orgs: {
    table: 'organizations',
    async load(tx, orgs) {
      for (const o of orgs) {
        await tx.query(`INSERT INTO accounts (name, kind) VALUES ($1, 'organization') ON CONFLICT DO NOTHING`, [
          o.name,
        ]);
        await tx.query(
          `INSERT INTO organizations (name, full_name, created_at, settings) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO NOTHING`,
          [o.name, o.fullName ?? null, o.createdAt, o.settings],
        );
      }
    },
  },
  orgMembers: {
    table: 'org_members',
    async load(tx, members) {
      for (const m of members)
        await tx.query(
          'INSERT INTO org_members (org, user_name, is_admin) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [m.org, m.user, m.isAdmin],
        );
    },
  },
  teams: {
    table: 'teams',
    async load(tx, teams) {
      for (const t of teams)
        await tx.query(
          'INSERT INTO teams (org, name, description, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [t.org, t.name, t.description ?? null, t.createdAt],
        );
    },
  },
  teamMembers: {
    table: 'team_members',
    async load(tx, members) {
      for (const m of members)
        await tx.query('INSERT INTO team_members (org, team, user_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
          m.org,
          m.team,
          m.user,
        ]);
    },
  },
  teamGrants: {
    table: 'team_access',
    async load(tx, grants) {
      for (const g of grants)
        await tx.query(
          `INSERT INTO team_access (org, team, repository, access_level) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [g.org, g.team, g.repository, g.accessLevel],
        );
    },
  },
};
