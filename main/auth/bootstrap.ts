/**
 * @module First start: when there are no users, create `admin` with the operator's password
 * (`OUTPOST_ADMIN_PASSWORD`) or a random one that is shown once.
 */
import { randomBytes } from 'node:crypto';
import type { Accounts } from '../accounts/accounts.js';
import { AccountError } from '../accounts/errors.js';
import type { Logger } from '../../src/log/logger.js';

export interface BootstrapResult {
  /** Set only when a password was generated: the caller shows it once. */
  generatedPassword?: string;
}

export async function bootstrapAdmin(
  accounts: Accounts,
  logger: Logger,
  password: string | undefined,
): Promise<BootstrapResult> {
  if ((await accounts.userCount()) > 0) return {};
  const generated = password ? undefined : randomBytes(18).toString('base64url');
  try {
    await accounts.createUser({ name: 'admin', password: password ?? generated!, isAdmin: true });
  } catch (err) {
    // Another replica starting at the same time created it: its password is the one shown there.
    if (err instanceof AccountError && err.code === 'ALREADY_EXISTS') return {};
    throw err;
  }
  logger.info('created the first administrator', {
    user: 'admin',
    passwordSource: generated ? 'generated' : 'OUTPOST_ADMIN_PASSWORD',
  });
  return generated ? { generatedPassword: generated } : {};
}
