/**
 * @module Registry-wide settings (`GET/POST /api/v0/meta/settings`): read by any signed-in
 * user, changed by admins. Stored by the settings owner (main/metadata/settings.ts). The directory
 * settings (`ldap`) are shown to admins only, without the bind password, and tested without saving.
 */
import { testDirectory, type LdapTestReport } from '../directory/connection-test.js';
import { mergeLdapSettings, toLdapView, type LdapView } from '../directory/ldap-settings.js';
import type { MetaSettings, SettingsStore } from '../metadata/settings.js';
import { AccountError } from './errors.js';
import { requireAdmin, signedIn } from './account-management.js';
import type { Principal } from './permissions.js';

export type MetaSettingsView = MetaSettings & { ldap?: LdapView };

export function createMetaSettings(settings: SettingsStore) {
  const view = async (principal: Principal): Promise<MetaSettingsView> => {
    const meta = await settings.getMetaSettings();
    if (principal.kind !== 'user' || !principal.isAdmin) return meta;
    return { ...meta, ldap: toLdapView(await settings.getLdapSettings()) };
  };
  return {
    async get(principal: Principal): Promise<MetaSettingsView> {
      signedIn(principal);
      return view(principal);
    },

    /** Merges `patch` into the stored settings (admins only); returns the result. */
    async update(principal: Principal, patch: Partial<MetaSettings> & { ldap?: unknown }): Promise<MetaSettingsView> {
      requireAdmin(principal, 'change registry settings');
      const { ldap, ...meta } = patch;
      // Checked before anything is written: a bad directory patch changes nothing.
      const nextLdap = ldap === undefined ? undefined : mergeLdapSettings(await settings.getLdapSettings(), ldap);
      await settings.updateMetaSettings(meta);
      if (nextLdap) await settings.setLdapSettings(nextLdap);
      return view(principal);
    },

    /**
     * Tests the directory (admins only) with the stored settings, or with `patch` applied to them without
     * saving it; looks `username` up when given. Changes nothing.
     */
    async testLdap(principal: Principal, input: { username?: string; settings?: unknown }): Promise<LdapTestReport> {
      requireAdmin(principal, 'test the directory settings');
      const stored = await settings.getLdapSettings();
      const candidate = mergeLdapSettings(stored, { ...(input.settings as object), enabled: true });
      if (candidate.url === '') throw new AccountError('INVALID_INPUT', 'ldap.url: no directory is configured');
      return testDirectory(candidate, input.username);
    },
  };
}

export type MetaSettingsService = ReturnType<typeof createMetaSettings>;
