/**
 * @module Checking a password against the directory: search-then-bind (the service account finds the
 * user's DN, then the user's own bind checks the password) or, with a DN template, a direct bind as that
 * DN. A user matching the disabled filter is refused like a wrong password. When the directory cannot be
 * asked, `DirectoryUnavailableError` (logged here, without the password): never "wrong password".
 */
import type { Logger } from '../../src/log/logger.js';
import type { SettingsStore } from '../metadata/settings.js';
import { DirectoryUnavailableError, openDirectory } from './directory-connection.js';
import { findDirectoryUser, type DirectoryUser } from './directory-users.js';
import { userDnFor } from './ldap-escape.js';

export type DirectorySignInResult =
  /** The password is right: the user as the directory describes it. */
  | { outcome: 'signed-in'; user: DirectoryUser }
  /** No such user, a wrong password, several entries for the name, or the user is disabled there. */
  | { outcome: 'refused' }
  /** The directory is not enabled: local accounts only. */
  | { outcome: 'not-enabled' };

export interface DirectorySignIn {
  /** Rejects with `DirectoryUnavailableError` when the directory cannot be asked. */
  signIn(username: string, password: string): Promise<DirectorySignInResult>;
}

export function createDirectorySignIn(deps: { settings: SettingsStore; logger: Logger }): DirectorySignIn {
  async function check(username: string, password: string): Promise<DirectorySignInResult> {
    const s = await deps.settings.getLdapSettings();
    if (!s.enabled) return { outcome: 'not-enabled' };
    const direct = s.userDnTemplate !== '';
    const conn = await openDirectory(s, !direct);
    try {
      let user: DirectoryUser | undefined;
      if (direct) {
        if (!(await conn.bindAs(userDnFor(s.userDnTemplate, username), password))) return { outcome: 'refused' };
        user = await findDirectoryUser(conn, s, username);
      } else {
        user = await findDirectoryUser(conn, s, username);
        if (!user || !(await conn.bindAs(user.dn, password))) return { outcome: 'refused' };
      }
      if (!user) return { outcome: 'refused' };
      if (s.disabledFilter !== '') {
        const { entries, truncated } = await conn.searchSome(user.dn, s.disabledFilter, ['1.1'], 1);
        if (entries.length > 0 || truncated) return { outcome: 'refused' };
      }
      return { outcome: 'signed-in', user };
    } finally {
      await conn.close();
    }
  }

  return {
    async signIn(username, password) {
      try {
        return await check(username, password);
      } catch (err) {
        if (err instanceof DirectoryUnavailableError)
          deps.logger.warn('directory sign-in failed: the directory is unavailable', { username, error: err.message });
        throw err;
      }
    },
  };
}
