/**
 * @module The registry metadata's tables as migration records (layout in registry-tables.ts).
 * Upload sessions are not dumped: their bytes stay behind, and a client restarts an upload.
 * Reads only.
 */
import { splitKey, type RootDatabase } from '../../../src/store/lmdb.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { MigrationSource } from '../migration.js';
import { dumpTable } from './dump-table.js';
import { openRegistryTables } from './registry-tables.js';

type RegistrySteps = Pick<
  MigrationSource,
  'repositories' | 'blobs' | 'repoBlobs' | 'manifests' | 'tags' | 'referrers' | 'blobRefs' | 'events'
>;

const parts = (key: string, count: number): string[] => {
  const split = splitKey(key);
  if (split.length !== count) throw new Error(`unexpected registry key ${JSON.stringify(key)}`);
  return split;
};

export function dumpLmdbRegistry(root: RootDatabase): RegistrySteps {
  const t = openRegistryTables(root);
  return {
    repositories: dumpTable(t.repositories, (name, record) => ({ ...record, name })),
    blobs: dumpTable(t.blobs, (digest, record) => ({ ...record, digest: digest as Digest })),
    repoBlobs: dumpTable(t.repoBlobs, (key, { linkedAt }) => {
      const [repo = '', digest = ''] = parts(key, 2);
      return { repo, digest: digest as Digest, linkedAt };
    }),
    manifests: dumpTable(t.manifests, (key, record) => {
      const [repo = '', digest = ''] = parts(key, 2);
      return { repo, digest: digest as Digest, record };
    }),
    tags: dumpTable(t.tags, (key, { digest, updatedAt }) => {
      const [repo = '', tag = ''] = parts(key, 2);
      return { repo, tag, digest, updatedAt };
    }),
    referrers: dumpTable(t.referrers, (key, record) => {
      const [repo = '', subject = '', digest = ''] = parts(key, 3);
      return { ...record, repo, subject: subject as Digest, digest: digest as Digest };
    }),
    blobRefs: dumpTable(t.blobRefs, (key) => {
      const [blob = '', repo = '', manifest = ''] = parts(key, 3);
      return { blob: blob as Digest, repo, manifest: manifest as Digest };
    }),
    // Keys sort a repository's events by time, then write order: loaded in that order, ids follow it.
    events: dumpTable(t.events, (key, event) => ({ repo: parts(key, 3)[0] ?? '', event })),
  };
}
