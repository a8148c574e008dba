/**
 * @module `VulnDbStore` on LMDB. Sub-databases (msgpack values):
 *
 *   vulndb-meta        "current" -> { generation, importedAt, newestAdvisoryAt, advisoryCount, ecosystems }
 *                      "importing" SEP <generation> -> { startedAt }   (an import not yet committed)
 *   vulndb-advisories  <generation> SEP <advisory id> -> Advisory (main/vulndb/osv.ts)
 *   vulndb-index       <generation> SEP <family> SEP <package name> SEP <advisory id> -> true
 *
 * Every key starts with its generation, so a generation is one prefix range: written beside the current
 * one, switched to by one write of "current", and removed afterwards in chunks (a large database is
 * hundreds of thousands of rows; one transaction of them all would hold the write lock for seconds).
 * Lookups run synchronously, within one read snapshot of the environment.
 */
import { key, prefixRange, splitKey, writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import type { Advisory } from '../../vulndb/osv.js';
import type { VulnDbStatus } from '../../vulndb/types.js';
import {
  EMPTY_VULNDB_STATUS,
  newGeneration,
  packageKeyString,
  type PackageKey,
  type VulnDbImport,
  type VulnDbStore,
} from '../vulndb.js';

const CURRENT = 'current';
const IMPORTING = 'importing';
// An import that has not committed for this long died: its rows are removed by the next commit.
const STALE_IMPORT_MS = 24 * 3600_000;
const DELETE_CHUNK = 5_000;
// LMDB keys are at most 1,978 bytes: longer names are not stored (no real package name comes close).
const MAX_KEY_PART = 400;
// Key parts must not hold SEP: prefixRange relies on it. No real id or package name has a control character.
const PLAIN = { test: (part: string): boolean => part.length > 0 && !/[\p{Cc}]/u.test(part) };

type Meta = VulnDbStatus | { startedAt: string };

export function createLmdbVulnDbStore(root: RootDatabase, now: () => Date = () => new Date()): VulnDbStore {
  const meta = root.openDB<Meta, string>({ name: 'vulndb-meta', encoding: 'msgpack' });
  const advisories = root.openDB<Advisory, string>({ name: 'vulndb-advisories', encoding: 'msgpack' });
  const index = root.openDB<true, string>({ name: 'vulndb-index', encoding: 'msgpack' });

  const current = (): VulnDbStatus => (meta.get(CURRENT) as VulnDbStatus | undefined) ?? { ...EMPTY_VULNDB_STATUS };

  async function removeGeneration(generation: string): Promise<void> {
    for (const db of [index, advisories]) {
      for (;;) {
        const keys = [...db.getKeys({ ...prefixRange([generation]), limit: DELETE_CHUNK })];
        if (keys.length === 0) break;
        await writeAtomically(root, () => {
          for (const k of keys) db.remove(k);
        });
      }
    }
    await meta.remove(key(IMPORTING, generation));
  }

  return {
    async status() {
      return current();
    },

    async beginImport(): Promise<VulnDbImport> {
      const generation = newGeneration(now());
      await meta.put(key(IMPORTING, generation), { startedAt: now().toISOString() });
      return {
        generation,
        async add(batch) {
          await writeAtomically(root, () => {
            for (const { advisory, keys } of batch) {
              if (!PLAIN.test(advisory.id) || advisory.id.length > MAX_KEY_PART) continue;
              advisories.put(key(generation, advisory.id), advisory);
              for (const { family, name } of keys) {
                if (!PLAIN.test(name) || name.length > MAX_KEY_PART) continue;
                index.put(key(generation, family, name, advisory.id), true);
              }
            }
          });
        },
        async commit(summary) {
          const status: VulnDbStatus = { generation, ...summary };
          const previous = await writeAtomically(root, () => {
            const before = current().generation;
            meta.put(CURRENT, status);
            meta.remove(key(IMPORTING, generation));
            return before;
          });
          const stale: string[] = [];
          const cutoff = now().getTime() - STALE_IMPORT_MS;
          for (const { key: k, value } of meta.getRange(prefixRange([IMPORTING]))) {
            if (Date.parse((value as { startedAt: string }).startedAt) < cutoff) stale.push(splitKey(k)[1] as string);
          }
          for (const old of [...(previous !== null ? [previous] : []), ...stale]) await removeGeneration(old);
          return status;
        },
        abort: () => removeGeneration(generation),
      };
    },

    async lookup(keys: PackageKey[]) {
      // Synchronous from here on: every read below sees the same snapshot.
      const generation = current().generation;
      const found = new Map<string, Advisory[]>();
      if (generation === null) return { generation, advisories: found };
      for (const k of keys) {
        if (!PLAIN.test(k.name) || k.name.length > MAX_KEY_PART) continue;
        const list: Advisory[] = [];
        for (const indexKey of index.getKeys(prefixRange([generation, k.family, k.name]))) {
          const id = splitKey(indexKey)[3] as string;
          const advisory = advisories.get(key(generation, id));
          if (advisory) list.push(advisory);
        }
        if (list.length > 0) found.set(packageKeyString(k), list);
      }
      return { generation, advisories: found };
    },
  };
}
