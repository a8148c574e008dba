/**
 * @module The signing keys of the key files (keys.ts) as migration records, private keys in
 * clear: they go straight to the PostgreSQL loader, which seals them. In ring order, in one
 * batch (a ring holds a handful of keys); the cursor is the kid of the newest. Reads only.
 */
import type { KeyStore } from '../keys.js';
import type { MigrationSource } from '../migration.js';

export function dumpKeyFiles(keys: KeyStore): MigrationSource['signingKeys'] {
  return {
    count: async () => (await keys.entries()).length,
    async *dump(after) {
      const entries = await keys.entries();
      const from = after === undefined ? 0 : entries.findIndex((e) => e.kid === after) + 1;
      const rest = entries.slice(from);
      const last = rest[rest.length - 1];
      if (!last) return;
      const records = [];
      for (const entry of rest) records.push({ ...entry, privateKeyPem: await keys.privateKeyPem(entry.kid) });
      yield { records, last: last.kid };
    },
  };
}
