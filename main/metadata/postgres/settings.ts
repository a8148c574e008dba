/**
 * @module `SettingsStore` on PostgreSQL (table: ./settings-schema.ts): the registry-wide settings
 * as one jsonb row, key 'meta'. A patch is merged by one statement (`||`), so two replicas
 * changing different settings at once both keep their change. The directory settings are the row
 * 'ldap' (no new table, so no migration), the bind password sealed with the key-encryption key
 * (AES-256-GCM, ./key-encryption.ts) under the id `ldap-bind-password`: the database never holds it in clear.
 */
import { toLdapSettings, type LdapSettings } from '../ldap-settings.js';
import { DEFAULT_META_SETTINGS, type MetaSettings, type SettingsStore } from '../settings.js';
import type { PostgresDatabase } from './database.js';
import type { KeyEncryptionKey } from './key-encryption.js';

const META = 'meta';
const LDAP = 'ldap';
const SEALED_ID = 'ldap-bind-password';
const KEYS = ['createRepositoryOnPush', 'anonymousPull', 'scanOnPush'] as const;

/** The stored booleans only: the row is ours, but a hand-edited value must not reach a permission check. */
function fromRow(value: unknown): MetaSettings {
  const settings: MetaSettings = { ...DEFAULT_META_SETTINGS };
  const stored = (value ?? {}) as Record<string, unknown>;
  for (const key of KEYS) if (typeof stored[key] === 'boolean') settings[key] = stored[key];
  return settings;
}

function sealLdap(settings: LdapSettings, kek: KeyEncryptionKey | undefined): Record<string, unknown> {
  const { bindPassword, ...rest } = toLdapSettings(settings);
  if (bindPassword === '') return rest;
  if (!kek) throw new Error('storing the directory bind password needs the key-encryption key');
  const sealed = kek.seal(SEALED_ID, bindPassword);
  return { ...rest, bindPasswordSealed: [sealed.nonce.toString('base64'), sealed.ciphertext.toString('base64')] };
}

function openLdap(value: unknown, kek: KeyEncryptionKey | undefined): LdapSettings {
  const settings = toLdapSettings(value);
  const sealed = (value as { bindPasswordSealed?: unknown } | undefined)?.bindPasswordSealed;
  settings.bindPassword = '';
  if (Array.isArray(sealed) && typeof sealed[0] === 'string' && typeof sealed[1] === 'string' && kek) {
    const [nonce, ciphertext] = [Buffer.from(sealed[0], 'base64'), Buffer.from(sealed[1], 'base64')];
    settings.bindPassword = kek.open(SEALED_ID, { nonce, ciphertext });
  }
  return settings;
}

/** `kek` seals the directory bind password; without it (tests of the other settings) none can be stored. */
export function createPostgresSettingsStore(db: PostgresDatabase, kek?: KeyEncryptionKey): SettingsStore {
  return {
    async getLdapSettings() {
      const rows = await db.query<{ value: unknown }>('SELECT value FROM meta_settings WHERE key = $1', [LDAP]);
      return openLdap(rows[0]?.value, kek);
    },
    async setLdapSettings(settings) {
      await db.query(
        `INSERT INTO meta_settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [LDAP, JSON.stringify(sealLdap(settings, kek))],
      );
    },
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
