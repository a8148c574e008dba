/**
 * @module The sessions, refresh tokens, content caches, join tokens and settings as migration
 * records (layouts in sessions.ts, caches.ts, settings.ts): small tables, keyed by what the
 * records are found by. Reads only.
 */
import type { RootDatabase } from '../../../src/store/lmdb.js';
import type { ContentCacheRecord, JoinTokenRecord } from '../caches.js';
import type { DumpSource, MigrationSource } from '../migration.js';
import { DEFAULT_META_SETTINGS, type MetaSettings } from '../settings.js';
import { dumpTable } from './dump-table.js';
import { openSessionTables } from './sessions.js';

const inOneBatch = <T>(source: DumpSource<T>): DumpSource<T> => ({
  count: () => source.count(),
  dump: (after) => source.dump(after, Number.MAX_SAFE_INTEGER),
});

type SmallSteps = Pick<MigrationSource, 'sessions' | 'refreshTokens' | 'caches' | 'joinTokens' | 'settings'>;

export function dumpLmdbSmallFamilies(root: RootDatabase): SmallSteps {
  const { sessions, refreshTokens } = openSessionTables(root);
  const caches = root.openDB<ContentCacheRecord, string>({ name: 'caches', encoding: 'msgpack' });
  const joinTokens = root.openDB<JoinTokenRecord, string>({ name: 'cacheJoinTokens', encoding: 'msgpack' });
  const settings = root.openDB<Partial<MetaSettings>, string>({ name: 'settings', encoding: 'msgpack' });
  return {
    sessions: dumpTable(sessions, (idHash, record) => ({ idHash, record })),
    refreshTokens: dumpTable(refreshTokens, (tokenHash, record) => ({ tokenHash, record })),
    // A cache's upstream may sort after it: all caches (a few dozen) in one batch, so that the
    // loader can write every upstream once every cache is in.
    caches: inOneBatch(dumpTable(caches, (name, record) => ({ ...record, name }))),
    joinTokens: dumpTable(joinTokens, (tokenHash, record) => ({ tokenHash, record })),
    settings: dumpTable(settings, (_key, stored) => ({ ...DEFAULT_META_SETTINGS, ...stored })),
  };
}
