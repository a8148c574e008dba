/**
 * @module What an account's name may be: a namespace, so a valid repository path component,
 * at most 64 characters, and none of the names the registry's own paths use.
 */
import { ANONYMOUS } from '../../src/auth/registry-token.js';
import { AccountError } from './errors.js';

// A name must also be a valid repository path component, since it is a namespace.
const NAME_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const RESERVED = new Set([ANONYMOUS, 'api', 'auth', 'v2']);

/**
 * Whether `name` could be an account's name at all. Sign-in refuses others as wrong credentials
 * before any lookup: LMDB cannot even encode a key of a few thousand characters.
 */
export function isAccountName(name: string): boolean {
  return name.length <= 64 && NAME_PATTERN.test(name);
}

export function checkAccountName(name: unknown, what = 'account'): string {
  if (typeof name !== 'string' || !isAccountName(name)) {
    throw new AccountError(
      'INVALID_INPUT',
      `${what} name must be lowercase letters, digits and single separators (. _ -), at most 64 characters`,
    );
  }
  if (RESERVED.has(name)) throw new AccountError('INVALID_INPUT', `"${name}" is reserved`);
  return name;
}
