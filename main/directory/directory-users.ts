/**
 * @module Users as the directory knows them: one found by name for a sign-in, or all of them (paged) for the
 * sync, each with its DN, its outpost name (the username attribute, lower-cased, when it is a valid account
 * name) and the full name and e-mail the settings map.
 */
import type { Entry } from 'ldapts';
import { isAccountName } from '../accounts/account-names.js';
import type { LdapSettings } from '../metadata/ldap-settings.js';
import { firstValue, type DirectoryConnection } from './directory-connection.js';
import { allUsersFilter, userDnFor, userFilterFor } from './ldap-escape.js';

export interface DirectoryUser {
  dn: string;
  /** The outpost account name. */
  name: string;
  fullName?: string;
  email?: string;
}

const attributesOf = (s: LdapSettings) => [s.usernameAttribute, s.fullNameAttribute, s.emailAttribute];

function toUser(entry: Entry, s: LdapSettings): DirectoryUser | undefined {
  const name = firstValue(entry, s.usernameAttribute)?.toLowerCase();
  if (name === undefined || !isAccountName(name)) return undefined;
  const fullName = firstValue(entry, s.fullNameAttribute);
  const email = firstValue(entry, s.emailAttribute);
  return {
    dn: entry.dn,
    name,
    ...(fullName !== undefined && { fullName: fullName.slice(0, 200) }),
    ...(email !== undefined && { email: email.slice(0, 320) }),
  };
}

/**
 * The user named `username`: with a DN template, that DN read as a base search; otherwise the user filter
 * under the search base. Undefined when none, or when the filter matches several entries (ambiguous: no
 * one signs in as whichever came first).
 */
export async function findDirectoryUser(
  conn: DirectoryConnection,
  s: LdapSettings,
  username: string,
): Promise<DirectoryUser | undefined> {
  const [base, filter] =
    s.userDnTemplate !== ''
      ? [userDnFor(s.userDnTemplate, username), '(objectClass=*)']
      : [s.userSearchBase, userFilterFor(s.userFilter, username)];
  const { entries, truncated } = await conn.searchSome(base, filter, attributesOf(s), 2);
  if (truncated || entries.length !== 1 || !entries[0]) return undefined;
  const user = toUser(entries[0], s);
  // The entry must be the user asked for, not one whose username attribute differs (a filter on another attribute).
  return user?.name === username ? user : undefined;
}

/** Every user the user filter matches (paged); entries without a valid account name are left out. */
export async function listDirectoryUsers(conn: DirectoryConnection, s: LdapSettings): Promise<DirectoryUser[]> {
  const entries = await conn.searchAll(s.userSearchBase, allUsersFilter(s.userFilter), attributesOf(s));
  return entries.flatMap((e) => toUser(e, s) ?? []);
}

/** The DNs (lower-cased) of the users the disabled filter matches; empty when there is no disabled filter. */
export async function disabledUserDns(conn: DirectoryConnection, s: LdapSettings): Promise<Set<string>> {
  if (s.disabledFilter === '') return new Set();
  const filter = `(&${allUsersFilter(s.userFilter)}${s.disabledFilter})`;
  const entries = await conn.searchAll(s.userSearchBase, filter, ['1.1']);
  return new Set(entries.map((e) => normalizeDn(e.dn)));
}

/** DNs compared as the sync needs: case and spaces after commas do not matter. */
export const normalizeDn = (dn: string): string => dn.replace(/,\s+/g, ',').toLowerCase();
