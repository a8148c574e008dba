/** @module The tables of the content-caches family (main/metadata/postgres/caches.ts). Times are epoch milliseconds. */
import type { Migration } from './migrations.js';

export const CACHES_MIGRATIONS: readonly Migration[] = [
  {
    id: 'caches-001-tables',
    sql: `
      CREATE TABLE outpost_content_caches (
        name text PRIMARY KEY,
        host text NOT NULL,
        -- Restrict: a cache others pull through is never removed under them, whoever writes.
        upstream text REFERENCES outpost_content_caches (name) ON DELETE RESTRICT,
        region text,
        networks text[] NOT NULL,
        created_at bigint NOT NULL,
        CHECK (upstream IS DISTINCT FROM name)
      );
      CREATE INDEX outpost_content_caches_upstream ON outpost_content_caches (upstream);
      CREATE TABLE outpost_cache_join_tokens (
        token_hash text PRIMARY KEY,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );`,
  },
  {
    id: 'caches-002-health',
    sql: `
      CREATE TABLE outpost_cache_health (
        name text PRIMARY KEY REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        up boolean NOT NULL,
        checked_at bigint NOT NULL,
        last_error text,
        failures integer NOT NULL,
        successes integer NOT NULL
      );`,
  },
  {
    // Cache groups: a cache's edge nodes, and the probe's health per node (probe state only: dropped, not moved).
    id: 'caches-003-nodes',
    sql: `
      CREATE TABLE outpost_cache_nodes (
        cache text NOT NULL REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        id text NOT NULL,
        host text NOT NULL,
        joined_at bigint NOT NULL,
        PRIMARY KEY (cache, id)
      );
      DROP TABLE outpost_cache_health;
      CREATE TABLE outpost_cache_health (
        cache text NOT NULL REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        node text NOT NULL,
        up boolean NOT NULL,
        checked_at bigint NOT NULL,
        last_error text,
        failures integer NOT NULL,
        successes integer NOT NULL,
        PRIMARY KEY (cache, node)
      );`,
  },
  {
    // Edges' heartbeats, shared by replicas (any one may receive a node's heartbeat); removed with the node.
    // Whether a probe ever reached a node is shared too: it says whether heartbeats or probes decide.
    id: 'caches-004-heartbeats',
    sql: `
      ALTER TABLE outpost_cache_health ADD COLUMN reached boolean NOT NULL DEFAULT false;
      CREATE TABLE outpost_cache_heartbeats (
        cache text NOT NULL REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        node text NOT NULL,
        at bigint NOT NULL,
        ok boolean NOT NULL,
        stats jsonb,
        PRIMARY KEY (cache, node)
      );`,
  },
  {
    // A node's credential (its SHA-256): what the node uses on main once its join token has expired.
    id: 'caches-005-node-credentials',
    sql: 'ALTER TABLE outpost_cache_nodes ADD COLUMN credential_hash text;',
  },
  {
    // The admin dashboard's history: a node's cumulative counters, one row per node and minute, 25 hours kept.
    id: 'caches-006-samples',
    sql: `
      CREATE TABLE outpost_cache_usage_samples (
        cache text NOT NULL REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        node text NOT NULL,
        minute bigint NOT NULL,
        at bigint NOT NULL,
        hits bigint NOT NULL,
        misses bigint NOT NULL,
        served_bytes bigint NOT NULL,
        upstream_bytes bigint NOT NULL,
        evictions bigint NOT NULL,
        blobs bigint NOT NULL,
        store_bytes bigint NOT NULL,
        max_bytes bigint NOT NULL,
        PRIMARY KEY (cache, node, minute)
      );`,
  },
  {
    // Redirects as each replica counts them (its own series): a heartbeat reaches one replica only.
    id: 'caches-007-redirect-samples',
    sql: `
      CREATE TABLE outpost_cache_redirect_samples (
        cache text NOT NULL REFERENCES outpost_content_caches (name) ON DELETE CASCADE,
        node text NOT NULL,
        minute bigint NOT NULL,
        replica text NOT NULL,
        at bigint NOT NULL,
        redirects bigint NOT NULL,
        PRIMARY KEY (cache, node, minute, replica)
      );`,
  },
];
