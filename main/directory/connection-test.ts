/**
 * @module "Test connection" (`POST /api/v0/meta/settings/ldap/test`): binds with the settings given (the
 * stored ones, or those with an unsaved patch applied), counts the users the filter matches, looks up one
 * username if asked, and resolves each team link, reporting counts, the first DNs and the first error.
 * It changes nothing, in the directory or in outpost; no password is ever part of the report.
 */
import type { LdapSettings } from '../metadata/ldap-settings.js';
import { DirectoryUnavailableError, openDirectory } from './directory-connection.js';
import { disabledUserDns, findDirectoryUser, listDirectoryUsers, normalizeDn } from './directory-users.js';
import { isActiveDirectory, teamMemberDns } from './team-members.js';

const FIRST = 5;

export interface LdapTestReport {
  /** Everything asked for worked (a username not found is still ok: it is an answer). */
  ok: boolean;
  /** The first failure, in words (connection, TLS, service account, search base). */
  error?: string;
  users?: { count: number; disabled: number; firstDns: string[] };
  user?: { username: string; found: boolean; dn?: string; fullName?: string; email?: string; disabled?: boolean };
  teams: { org: string; team: string; members: number; firstDns: string[] }[];
  activeDirectory?: boolean;
}

export async function testDirectory(s: LdapSettings, username?: string): Promise<LdapTestReport> {
  const report: LdapTestReport = { ok: false, teams: [] };
  let conn;
  try {
    conn = await openDirectory(s);
    const users = await listDirectoryUsers(conn, s);
    const disabled = await disabledUserDns(conn, s);
    report.users = { count: users.length, disabled: disabled.size, firstDns: users.slice(0, FIRST).map((u) => u.dn) };
    if (username !== undefined) {
      const user = await findDirectoryUser(conn, s, username);
      report.user = user
        ? {
            username,
            found: true,
            dn: user.dn,
            ...(user.fullName !== undefined && { fullName: user.fullName }),
            ...(user.email !== undefined && { email: user.email }),
            disabled: disabled.has(normalizeDn(user.dn)),
          }
        : { username, found: false };
    }
    const userDns = new Set(users.map((u) => normalizeDn(u.dn)));
    report.activeDirectory = await isActiveDirectory(conn);
    for (const link of s.teamLinks) {
      const members = [...(await teamMemberDns(conn, s, link, userDns, report.activeDirectory))];
      report.teams.push({ org: link.org, team: link.team, members: members.length, firstDns: members.slice(0, FIRST) });
    }
    report.ok = true;
  } catch (err) {
    if (!(err instanceof DirectoryUnavailableError)) throw err;
    report.error = err.message;
  } finally {
    await conn?.close();
  }
  return report;
}
