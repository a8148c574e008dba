/**
 * @module Loads migration records into the settings, sessions and caches tables
 * (settings-schema.ts, sessions-schema.ts, caches-schema.ts).
 */
import type { MigrationTargets } from './load-target.js';

type SmallTargets = Pick<MigrationTargets, 'settings' | 'sessions' | 'refreshTokens' | 'caches' | 'joinTokens'>;

export const SMALL_LOADS: SmallTargets = {
  settings: {
    table: 'meta_settings',
    async load(tx, settings) {
      for (const value of settings)
        await tx.query(`INSERT INTO meta_settings (key, value) VALUES ('meta', $1) ON CONFLICT DO NOTHING`, [
          JSON.stringify(value),
        ]);
    },
  },
  sessions: {
    table: 'outpost_sessions',
    async load(tx, sessions) {
      for (const { idHash, record: s } of sessions)
        await tx.query(
          `INSERT INTO outpost_sessions (id_hash, user_name, user_id, csrf_token, expires_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [idHash, s.user, s.userId ?? null, s.csrfToken, s.expiresAt],
        );
    },
  },
  refreshTokens: {
    table: 'outpost_refresh_tokens',
    async load(tx, tokens) {
      for (const { tokenHash, record: t } of tokens)
        await tx.query(
          `INSERT INTO outpost_refresh_tokens (token_hash, user_name, user_id, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [tokenHash, t.user, t.userId ?? null, t.expiresAt],
        );
    },
  },
  caches: {
    table: 'outpost_content_caches',
    // Every cache first, then the upstreams: a cache may name one that sorts after it.
    async load(tx, caches) {
      for (const c of caches)
        await tx.query(
          `INSERT INTO outpost_content_caches (name, host, upstream, region, networks, created_at)
           VALUES ($1, $2, NULL, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [c.name, c.host, c.region ?? null, c.networks, c.createdAt],
        );
      for (const c of caches)
        if (c.upstream !== undefined)
          await tx.query('UPDATE outpost_content_caches SET upstream = $2 WHERE name = $1', [c.name, c.upstream]);
      for (const c of caches)
        for (const node of c.nodes ?? [])
          await tx.query(
            `INSERT INTO outpost_cache_nodes (cache, id, host, joined_at, credential_hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING`,
            [c.name, node.id, node.host, node.joinedAt, node.credentialHash ?? null],
          );
    },
  },
  joinTokens: {
    table: 'outpost_cache_join_tokens',
    async load(tx, tokens) {
      for (const { tokenHash, record: t } of tokens)
        await tx.query(
          `INSERT INTO outpost_cache_join_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [tokenHash, t.createdAt, t.expiresAt],
        );
    },
  },
};
