/**
 * @module `SettingsStore` on PostgreSQL (table: ./settings-schema.ts): the registry-wide settings
 * as one jsonb row, key 'meta'. A patch is merged by one statement (`||`), so two replicas
 * changing different settings at once both keep their change.
 */
import { DEFAULT_META_SETTINGS, type MetaSettings, type SettingsStore } from '../settings.js';
import type { PostgresDatabase } from './database.js';

const META = 'meta';
const KEYS = ['createRepositoryOnPush', 'anonymousPull', 'scanOnPush'] as const;

/** The stored booleans only: the row is ours, but a hand-edited value must not reach a permission check. */
function fromRow(value: unknown): MetaSettings {
  const settings: MetaSettings = { ...DEFAULT_META_SETTINGS };
  const stored = (value ?? {}) as Record<string, unknown>;
  for (const key of KEYS) if (typeof stored[key] === 'boolean') settings[key] = stored[key];
  return settings;
}

export function createPostgresSettingsStore(db: PostgresDatabase): SettingsStore {
  return {
    async getMetaSettings() {
      const rows = await db.query<{ value: unknown }>('SELECT value FROM meta_settings WHERE key = $1', [META]);
      return fromRow(rows[0]?.value);
    },
    async updateMetaSettings(patch) {
      const changes: Partial<MetaSettings> = {};
      for (const key of KEYS) if (patch[key] !== undefined) changes[key] = patch[key];
      const rows = await db.query<{ value: unknown }>(
        `INSERT INTO meta_settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = meta_settings.value || EXCLUDED.value
         RETURNING value`,
        [META, JSON.stringify(changes)],
      );
      return fromRow(rows[0]?.value);
    },
  };
}
