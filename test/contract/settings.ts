/**
 * The `SettingsStore` contract (main/metadata/settings.ts) as one suite every backend runs:
 * `describeSettingsStore('LMDB', factory)`. It uses the interface only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultLdapSettings } from '../../main/metadata/ldap-settings.js';
import { DEFAULT_META_SETTINGS, type SettingsStore } from '../../main/metadata/settings.js';

export interface SettingsStoreFixture {
  store: SettingsStore;
  /** A second store over the same data, as another process or replica would open it. */
  reopen(): Promise<SettingsStore>;
  /** Releases whatever the factory created (temp dirs, databases). */
  cleanup(): Promise<void>;
}

export function describeSettingsStore(name: string, factory: () => Promise<SettingsStoreFixture>): void {
  describe(`SettingsStore on ${name}`, () => {
    let fixture: SettingsStoreFixture;

    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('reads the defaults before anything was stored', async () => {
      expect(await fixture.store.getMetaSettings()).toEqual(DEFAULT_META_SETTINGS);
    });

    it('merges a patch, keeps what it does not name, and returns the result', async () => {
      expect(await fixture.store.updateMetaSettings({ anonymousPull: false })).toEqual({
        createRepositoryOnPush: true,
        anonymousPull: false,
        scanOnPush: false,
      });
      expect(await fixture.store.updateMetaSettings({ createRepositoryOnPush: false })).toEqual({
        createRepositoryOnPush: false,
        anonymousPull: false,
        scanOnPush: false,
      });
      expect(await fixture.store.updateMetaSettings({ anonymousPull: undefined })).toEqual({
        createRepositoryOnPush: false,
        anonymousPull: false,
        scanOnPush: false,
      });
      expect(await fixture.store.getMetaSettings()).toEqual({
        createRepositoryOnPush: false,
        anonymousPull: false,
        scanOnPush: false,
      });
    });

    it('keeps what was stored for every other reader', async () => {
      await fixture.store.updateMetaSettings({ createRepositoryOnPush: false });
      const other = await fixture.reopen();
      expect(await other.getMetaSettings()).toEqual({
        createRepositoryOnPush: false,
        anonymousPull: true,
        scanOnPush: false,
      });
    });

    it('loses neither of two patches written at once', async () => {
      await Promise.all([
        fixture.store.updateMetaSettings({ createRepositoryOnPush: false }),
        fixture.store.updateMetaSettings({ anonymousPull: false }),
      ]);
      expect(await fixture.store.getMetaSettings()).toEqual({
        createRepositoryOnPush: false,
        anonymousPull: false,
        scanOnPush: false,
      });
    });

    it('hands out copies: changing a result changes nothing stored', async () => {
      const read = await fixture.store.getMetaSettings();
      read.anonymousPull = false;
      expect(await fixture.store.getMetaSettings()).toEqual(DEFAULT_META_SETTINGS);
    });

    it('reads the directory defaults (disabled) before any were stored', async () => {
      expect(await fixture.store.getLdapSettings()).toEqual(defaultLdapSettings());
    });

    it('stores the directory settings with their bind password, for every other reader', async () => {
      const ldap = {
        ...defaultLdapSettings(),
        enabled: true,
        url: 'ldaps://dir.example:636',
        bindDn: 'cn=outpost,dc=example',
        bindPassword: 'service secret',
        teamLinks: [{ org: 'acme', team: 'devs', groupDn: 'cn=devs,dc=example', nested: true }],
      };
      await fixture.store.setLdapSettings(ldap);
      expect(await fixture.store.getLdapSettings()).toEqual(ldap);
      expect(await (await fixture.reopen()).getLdapSettings()).toEqual(ldap);
      // The other settings are untouched.
      expect(await fixture.store.getMetaSettings()).toEqual(DEFAULT_META_SETTINGS);
    });
  });
}
