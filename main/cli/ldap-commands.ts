/**
 * @module `outpost main ldap sync|test [USERNAME]`: the directory sync run once now (what the "ldap-sync"
 * job does), and the connection test, on the data directory's settings, also while main runs. Both print
 * JSON (the job's summary, the test's report); neither prints a password.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAccounts } from '../accounts/accounts.js';
import { testDirectory } from '../directory/connection-test.js';
import { DirectoryUnavailableError } from '../directory/directory-connection.js';
import { syncDirectory } from '../directory/ldap-sync.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface LdapCommand {
  /** sync | test */
  action: string | undefined;
  args: string[];
  storage: MainStorageConfig;
}

export async function runLdapCommand(command: LdapCommand, io: CliIo): Promise<number> {
  const { action, args } = command;
  if ((action !== 'sync' && action !== 'test') || (action === 'sync' ? args.length > 0 : args.length > 1)) {
    io.err('outpost main ldap: expected "ldap sync" or "ldap test [USERNAME]"\n');
    return EXIT.USAGE;
  }
  const dataDir = resolve(command.storage.dataDir);
  if (command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main ldap: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    const { metadata } = data;
    const settings = await metadata.settings.getLdapSettings();
    if (!settings.enabled) {
      io.err('outpost main ldap: the directory is not enabled (POST /api/v0/meta/settings with "ldap")\n');
      return EXIT.FAILED;
    }
    if (action === 'test') {
      const report = await testDirectory(settings, args[0]);
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return report.ok ? EXIT.OK : EXIT.FAILED;
    }
    const accounts = createAccounts(metadata.accounts, { revokeCredentials: metadata.revokeCredentials });
    const summary = await syncDirectory(
      { accounts, settings: metadata.settings },
      { signal: new AbortController().signal, progress() {}, log: (line) => io.err(`${line}\n`) },
    );
    io.out(`${JSON.stringify(summary)}\n`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof DirectoryUnavailableError)) throw err;
    io.err(`outpost main ldap: ${err.message}\n`);
    return EXIT.FAILED;
  } finally {
    await data.close();
  }
}
