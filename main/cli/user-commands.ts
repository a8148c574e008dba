/**
 * @module `outpost main user add|passwd|list|remove`: account administration on the data
 * directory, usable while main runs (LMDB allows several processes) or before its first start.
 *
 * Passwords only come from standard input (`--password-stdin`), never from arguments, which
 * other users of the machine can read in the process list; they are never printed or logged.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAccounts, type UserView } from '../accounts/accounts.js';
import { checkAccountName } from '../accounts/account-names.js';
import { AccountError } from '../accounts/errors.js';
import { passwordProblem } from '../accounts/passwords.js';
import { silentLogger } from '../../src/log/logger.js';
import { commandLineActor, recordNow } from '../audit/audit-log.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { EXIT, type CliIo } from './cli-io.js';
import { PasswordInputError } from '../../src/cli/read-password.js';

export interface UserCommand {
  /** add | passwd | list | remove (anything else is a usage error). */
  action: string | undefined;
  /** The positionals after the action. */
  args: string[];
  admin: boolean;
  passwordStdin: boolean;
  storage: MainStorageConfig;
}

const ACTIONS = new Set(['add', 'passwd', 'list', 'remove']);

class UsageError extends Error {
  readonly code = 'OUTPOST_CLI_USAGE';
}

/** Checks everything that can be checked without the data directory, so bad input changes nothing. */
function checkCommand(command: UserCommand): string | undefined {
  const { action, args } = command;
  if (action === undefined || !ACTIONS.has(action)) {
    throw new UsageError(
      action === undefined
        ? 'missing command: add, passwd, list or remove'
        : `unknown command "user ${action}": expected add, passwd, list or remove`,
    );
  }
  if (action === 'list') {
    if (args.length > 0) throw new UsageError('user list takes no arguments');
    return undefined;
  }
  if (args.length !== 1) throw new UsageError(`user ${action} takes exactly one user name`);
  if (command.admin && action !== 'add') throw new UsageError('--admin only applies to user add');
  if ((action === 'add' || action === 'passwd') && !command.passwordStdin) {
    throw new UsageError(
      `user ${action} needs --password-stdin: the password is read from standard input, never from the command line`,
    );
  }
  return checkAccountName(args[0], 'user');
}

function formatUsers(users: UserView[]): string {
  const rows = [
    ['NAME', 'ADMIN', 'ACTIVE', 'CREATED'],
    ...users.map((u) => [u.name, u.isAdmin ? 'yes' : 'no', u.isActive ? 'yes' : 'no', u.createdAt]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

export async function runUserCommand(command: UserCommand, io: CliIo): Promise<number> {
  let name: string | undefined;
  let password: string | undefined;
  try {
    name = checkCommand(command);
    if (command.passwordStdin && (command.action === 'add' || command.action === 'passwd')) {
      password = await io.readPassword();
      const problem = passwordProblem(password);
      if (problem) throw new AccountError('INVALID_INPUT', problem);
    }
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof PasswordInputError ||
      (err instanceof AccountError && err.code === 'INVALID_INPUT')
    ) {
      io.err(`outpost main user: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }

  const dataDir = resolve(command.storage.dataDir);
  // Only `add` may start a fresh data directory (an operator provisioning before the first start).
  if (command.action !== 'add' && command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main user: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    const { metadata } = data;
    const accounts = createAccounts(metadata.accounts, { revokeCredentials: metadata.revokeCredentials });
    switch (command.action) {
      case 'add': {
        const user = await accounts.createUser({ name: name!, password: password!, isAdmin: command.admin });
        io.out(`created user "${user.name}"${user.isAdmin ? ' (administrator)' : ''}\n`);
        break;
      }
      case 'passwd': {
        await accounts.updateUser(name!, { password: password! });
        // A changed password is often a leaked one: what was issued under the old one goes too.
        const revoked = await accounts.revokeCredentials(name!);
        const signedOut = revoked > 0 ? `; signed out ${revoked} session(s) and refresh token(s)` : '';
        io.out(`changed the password of "${name}"${signedOut}\n`);
        break;
      }
      case 'remove':
        await accounts.removeUser(name!);
        io.out(`removed user "${name}"\n`);
        break;
      default: {
        const users = await accounts.listUsers();
        io.out(users.length > 0 ? `${formatUsers(users)}\n` : 'no users\n');
      }
    }
    if (command.action === 'add' || command.action === 'passwd' || command.action === 'remove') {
      const detail = { action: command.action, ...(command.action === 'add' && { isAdmin: command.admin }) };
      const change = {
        type: 'admin.users',
        actor: commandLineActor(),
        target: name!,
        outcome: 'success',
        detail,
      } as const;
      await recordNow(metadata.audit, change, silentLogger);
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof AccountError) {
      io.err(`outpost main user: ${err.message}\n`);
      return err.code === 'INVALID_INPUT' ? EXIT.USAGE : EXIT.FAILED;
    }
    throw err;
  } finally {
    await data.close();
  }
}
