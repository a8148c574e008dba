/**
 * @module `SettingsStore` on LMDB: the sub-database `settings`, key "meta", a msgpack
 * `Partial<MetaSettings>` (as main/accounts/accounts-db.ts wrote it), and key "ldap", the directory
 * settings. The bind password is stored as given: the embedded store has no key-encryption key (its signing
 * keys are files in the data directory too), so it is as private as main's data directory.
 */
import { writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import { toLdapSettings } from '../ldap-settings.js';
import { DEFAULT_META_SETTINGS, type MetaSettings, type SettingsStore } from '../settings.js';

const META = 'meta';
const LDAP = 'ldap';

export function createLmdbSettingsStore(root: RootDatabase): SettingsStore {
  const settings = root.openDB<unknown, string>({ name: 'settings', encoding: 'msgpack' });
  // A point read on every registry request (access checks): no cache needed, LMDB reads are memory reads.
  const current = (): MetaSettings => ({
    ...DEFAULT_META_SETTINGS,
    ...(settings.get(META) as Partial<MetaSettings> | undefined),
  });
  return {
    async getMetaSettings() {
      return current();
    },
    updateMetaSettings: (patch) =>
      writeAtomically(root, () => {
        const next = current();
        // An absent key keeps its value (a patch built from optional fields may carry undefined).
        for (const name of ['createRepositoryOnPush', 'anonymousPull', 'scanOnPush'] as const) {
          const value = patch[name];
          if (value !== undefined) next[name] = value;
        }
        settings.put(META, next);
        return next;
      }),
    async getLdapSettings() {
      return toLdapSettings(settings.get(LDAP));
    },
    async setLdapSettings(next) {
      await settings.put(LDAP, toLdapSettings(next));
    },
  };
}
