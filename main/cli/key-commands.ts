/**
 * @module `outpost main keys rotate`: a new signing key, in the data directory or, with
 * --database, in PostgreSQL (sealed with the key-encryption key).
 *
 * The new key is published at once and signs after `auth.keyPrePublication`, so that edges
 * know it before the first token it signs reaches them. The old key is retired, not deleted: it
 * signs until then and stays in the JWKS until every token it signed has expired
 * (`auth.tokenLifetime` from the same configuration main uses). A running main (every replica)
 * re-reads the keys (within seconds, and on every token issued and JWKS request), so the
 * rotation needs no restart.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { KeyRing } from '../../src/auth/keys.js';
import { silentLogger } from '../../src/log/logger.js';
import { commandLineActor, recordNow } from '../audit/audit-log.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface KeyCommand {
  /** rotate (anything else is a usage error). */
  action: string | undefined;
  args: string[];
  storage: MainStorageConfig;
  maxTokenLifetimeMs: number;
  /** `auth.keyPrePublication`: how long the new key is published before it signs. */
  prePublishMs: number;
}

export async function runKeyCommand(command: KeyCommand, io: CliIo): Promise<number> {
  if (command.action !== 'rotate' || command.args.length > 0) {
    const problem =
      command.action === undefined
        ? 'missing command: rotate'
        : command.action === 'rotate'
          ? 'keys rotate takes no arguments'
          : `unknown command "keys ${command.action}": expected rotate`;
    io.err(`outpost main keys: ${problem}\n`);
    return EXIT.USAGE;
  }
  const dataDir = resolve(command.storage.dataDir);
  if (command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main keys: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    const store = data.metadata.keys;
    const existed = (await store.version()) !== undefined;
    // Opening an empty keyring creates its first key: that one is the new key then.
    const { maxTokenLifetimeMs, prePublishMs } = command;
    const ring = await KeyRing.open({ store, maxTokenLifetimeMs, prePublishMs });
    const kid = existed ? await ring.rotate() : ring.signingKey.kid;
    await recordNow(
      data.metadata.audit,
      { type: 'admin.keys', actor: commandLineActor(), target: kid, outcome: 'success', detail: { action: 'rotate' } },
      silentLogger,
    );
    io.out(`${kid}\n`);
    const from = existed && prePublishMs > 0 ? `, published now, signs in ${Math.ceil(prePublishMs / 1000)}s` : '';
    io.err(`new signing key ${kid}${from}; earlier keys stay published until the tokens they signed expire\n`);
    return EXIT.OK;
  } finally {
    await data.close();
  }
}
