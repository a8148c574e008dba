/**
 * @module `SettingsStore` on LMDB: the sub-database `settings`, key "meta", a msgpack
 * `Partial<MetaSettings>` (as main/accounts/accounts-db.ts wrote it).
 */
import { writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import { DEFAULT_META_SETTINGS, type MetaSettings, type SettingsStore } from '../settings.js';

const META = 'meta';

export function createLmdbSettingsStore(root: RootDatabase): SettingsStore {
  const settings = root.openDB<Partial<MetaSettings>, string>({ name: 'settings', encoding: 'msgpack' });
  // A point read on every registry request (access checks): no cache needed, LMDB reads are memory reads.
  const current = (): MetaSettings => ({ ...DEFAULT_META_SETTINGS, ...settings.get(META) });
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
  };
}
