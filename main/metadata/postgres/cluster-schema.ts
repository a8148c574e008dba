/** @module The tables replicas coordinate through (main/metadata/postgres/cluster.ts). */
import type { Migration } from './migrations.js';

export const CLUSTER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'cluster-001-replicas-and-leases',
    sql: `
      CREATE TABLE outpost_replicas (
        id text PRIMARY KEY,
        url text NOT NULL,
        version text NOT NULL,
        started_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
      );
      CREATE TABLE outpost_leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      );`,
  },
];
