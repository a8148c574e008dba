/** @module The table of the settings owner (main/metadata/postgres/settings.ts): one row per settings object. */
import type { Migration } from './migrations.js';

export const SETTINGS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'settings-001-tables',
    sql: `
      CREATE TABLE meta_settings (
        key text PRIMARY KEY,
        value jsonb NOT NULL
      );`,
  },
];
