/**
 * @module Registry-wide settings (`GET/POST /api/v0/meta/settings`): read by any signed-in
 * user, changed by admins. Stored under "meta" in `accountsDb.settings`; unset keys read as
 * `DEFAULT_META_SETTINGS`.
 */
import { DEFAULT_META_SETTINGS, type AccountsDb, type MetaSettings } from './accounts-db.js';
import { requireAdmin, signedIn } from './account-management.js';
import type { Principal } from './permissions.js';

export function createMetaSettings(accountsDb: AccountsDb) {
  const current = (): MetaSettings => ({ ...DEFAULT_META_SETTINGS, ...accountsDb.settings.get('meta') });
  return {
    get(principal: Principal): MetaSettings {
      signedIn(principal);
      return current();
    },

    /** Merges `patch` into the stored settings (admins only); returns the result. */
    async update(principal: Principal, patch: Partial<MetaSettings>): Promise<MetaSettings> {
      requireAdmin(principal, 'change registry settings');
      return accountsDb.transaction(() => {
        const next = { ...current(), ...patch };
        accountsDb.settings.put('meta', next);
        return next;
      });
    },
  };
}

export type MetaSettingsService = ReturnType<typeof createMetaSettings>;
