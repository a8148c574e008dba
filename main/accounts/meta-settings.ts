/**
 * @module Registry-wide settings (`GET/POST /api/v0/meta/settings`): read by any signed-in
 * user, changed by admins. Stored by the settings owner (main/metadata/settings.ts).
 */
import type { MetaSettings, SettingsStore } from '../metadata/settings.js';
import { requireAdmin, signedIn } from './account-management.js';
import type { Principal } from './permissions.js';

export function createMetaSettings(settings: SettingsStore) {
  return {
    async get(principal: Principal): Promise<MetaSettings> {
      signedIn(principal);
      return settings.getMetaSettings();
    },

    /** Merges `patch` into the stored settings (admins only); returns the result. */
    async update(principal: Principal, patch: Partial<MetaSettings>): Promise<MetaSettings> {
      requireAdmin(principal, 'change registry settings');
      return settings.updateMetaSettings(patch);
    },
  };
}

export type MetaSettingsService = ReturnType<typeof createMetaSettings>;
