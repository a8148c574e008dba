/**
 * @module `PruningStore` on LMDB (main/metadata/pruning.ts), two sub-databases:
 *
 *	pruningPolicies   <repo>               PruningPolicyRecord
 *	tagPulls          <repo> SEP <tag>     TagPulls
 *
 * The registry owner's LMDB transactions call `removeRepositoryPruning` and `removeTagPulls`
 * (lmdb/open.ts wires them) so that these records go with the repository or tag they describe;
 * `recordPulls` asks the registry owner whether a tag exists (`tagExists`), in its own transaction.
 */
import {
  key,
  prefixRange,
  splitKey,
  writeAtomically,
  type Database,
  type RootDatabase,
} from '../../../src/store/lmdb.js';
import type { MigrationSource } from '../migration.js';
import type { PruningPolicyRecord, PruningStore, TagPulls } from '../pruning.js';
import { dumpTable } from './dump-table.js';
import { lmdbRepositoryExists, lmdbTagExists } from './registry-lookups.js';

interface PruningTables {
  policies: Database<PruningPolicyRecord, string>;
  pulls: Database<TagPulls, string>;
}

const tablesByRoot = new WeakMap<RootDatabase, PruningTables>();

function tables(root: RootDatabase): PruningTables {
  let found = tablesByRoot.get(root);
  if (!found) {
    found = {
      policies: root.openDB<PruningPolicyRecord, string>({ name: 'pruningPolicies', encoding: 'msgpack' }),
      pulls: root.openDB<TagPulls, string>({ name: 'tagPulls', encoding: 'msgpack' }),
    };
    tablesByRoot.set(root, found);
  }
  return found;
}

/** Removes the repository's policy and pull statistics; call inside the repository delete's transaction. */
export function removeRepositoryPruning(root: RootDatabase, repo: string): void {
  const { policies, pulls } = tables(root);
  void policies.remove(repo);
  for (const pullKey of [...pulls.getKeys(prefixRange([repo]))]) void pulls.remove(pullKey);
}

/** Removes one tag's pull statistics; call inside the tag delete's transaction. */
export function removeTagPulls(root: RootDatabase, repo: string, tag: string): void {
  void tables(root).pulls.remove(key(repo, tag));
}

export function createLmdbPruningStore(root: RootDatabase): PruningStore {
  const { policies, pulls } = tables(root);
  return {
    getPolicy: async (repo) => policies.get(repo),

    putPolicy: (repo, policy) =>
      writeAtomically(root, () => {
        if (!lmdbRepositoryExists(root, repo)) return false;
        void policies.put(repo, policy);
        return true;
      }),

    recordPulls: (batch) =>
      writeAtomically(root, () => {
        for (const { repo, tag, count, lastPulledAt } of batch) {
          if (!lmdbTagExists(root, repo, tag)) continue;
          const current = pulls.get(key(repo, tag));
          void pulls.put(key(repo, tag), {
            pullCount: (current?.pullCount ?? 0) + count,
            lastPulledAt: Math.max(current?.lastPulledAt ?? 0, lastPulledAt),
          });
        }
      }),

    async listPulls(repo) {
      const found = new Map<string, TagPulls>();
      const prefix = key(repo).length + 1;
      for (const { key: pullKey, value } of pulls.getRange(prefixRange([repo])))
        found.set(pullKey.slice(prefix), value);
      return found;
    },
  };
}

/** Policies and pull statistics as migration records (`outpost main migrate`); reads only. */
export function dumpLmdbPruning(root: RootDatabase): Pick<MigrationSource, 'pruningPolicies' | 'tagPulls'> {
  const { policies, pulls } = tables(root);
  return {
    pruningPolicies: dumpTable(policies, (repo, policy) => ({ repo, policy })),
    tagPulls: dumpTable(pulls, (pullKey, value) => {
      const [repo = '', tag = ''] = splitKey(pullKey);
      return { repo, tag, ...value };
    }),
  };
}
