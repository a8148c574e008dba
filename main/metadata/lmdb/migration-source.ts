/**
 * @module An embedded installation (`<data>/db` and `<data>/keys`) opened as the source of a
 * migration: every owner's dump, and the installation's identity. Opened by `outpost main
 * migrate` only, on a stopped main (LMDB lets it open while main runs, but the copy would miss
 * what main writes meanwhile).
 */
import { join } from 'node:path';
import type { MigrationSource } from '../migration.js';
import { dumpLmdbAccounts } from './accounts-dump.js';
import { openMainEnvironment } from './environment.js';
import { dumpKeyFiles } from './keys-dump.js';
import { createFileKeyStore } from './keys.js';
import { dumpLmdbPruning } from './pruning.js';
import { dumpLmdbRegistry } from './registry-dump.js';
import { dumpLmdbSmallFamilies } from './sessions-dump.js';

export interface LmdbMigrationSource {
  readonly records: MigrationSource;
  /**
   * Names this installation: the kid of its first signing key, a thumbprint of a key made for it
   * alone. Undefined when it never made a key (never started).
   */
  identity(): Promise<string | undefined>;
  close(): Promise<void>;
}

export function openLmdbMigrationSource(dataDir: string): LmdbMigrationSource {
  const env = openMainEnvironment(join(dataDir, 'db'));
  const keys = createFileKeyStore(join(dataDir, 'keys'));
  return {
    records: {
      ...dumpLmdbAccounts(env.root),
      ...dumpLmdbRegistry(env.root),
      ...dumpLmdbSmallFamilies(env.root),
      ...dumpLmdbPruning(env.root),
      signingKeys: dumpKeyFiles(keys),
    },
    identity: async () => (await keys.entries())[0]?.kid,
    close: () => env.close(),
  };
}
