/**
 * @module Putting a user-supplied string into an LDAP filter (RFC 4515 section 3) or a DN (RFC 4514
 * section 2.4) as a value, never as syntax: a username like `*)(uid=*` must match only a user of that
 * literal name. Pure functions, no I/O.
 */

/** RFC 4515: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4514: the special characters escaped with a backslash, a leading `#` or space and a trailing space. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=\0]/g, (c) => (c === '\0' ? '\\00' : `\\${c}`));
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The settings' filter for one user: every `{username}` replaced by the escaped name. */
export const userFilterFor = (template: string, username: string): string =>
  template.split('{username}').join(escapeFilterValue(username));

/** The same filter matching every user (`{username}` becomes `*`, a presence or substring match). */
export const allUsersFilter = (template: string): string => template.split('{username}').join('*');

/** The DN template for one user: every `{username}` replaced by the DN-escaped name. */
export const userDnFor = (template: string, username: string): string =>
  template.split('{username}').join(escapeDnValue(username));
