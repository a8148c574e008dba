/**
 * @module Who the directory says belongs to a linked team: the users a member filter matches, or the
 * members of a group DN (`member` and `uniqueMember` values). Nested groups: Active Directory answers
 * them itself through the matching rule in chain (`memberOf:1.2.840.113556.1.4.1941:=<dn>`), used when the
 * server says it is AD; other servers (OpenLDAP has no such rule) get the groups expanded here, breadth
 * first, at most `MAX_NESTING` levels deep and `MAX_GROUPS` groups per link, cycles skipped.
 */
import type { LdapSettings, LdapTeamLink } from '../metadata/ldap-settings.js';
import { allValues, type DirectoryConnection } from './directory-connection.js';
import { normalizeDn } from './directory-users.js';
import { allUsersFilter, escapeFilterValue } from './ldap-escape.js';

export const MAX_NESTING = 8;
export const MAX_GROUPS = 1_000;
/** LDAP_CAP_ACTIVE_DIRECTORY_OID in the root DSE's supportedCapabilities. */
const AD_CAPABILITY = '1.2.840.113556.1.4.800';
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** Whether the server is Active Directory (and so has the matching rule in chain). */
export async function isActiveDirectory(conn: DirectoryConnection): Promise<boolean> {
  const { entries } = await conn.searchSome('', '(objectClass=*)', ['supportedCapabilities'], 1, 'base');
  return entries[0] !== undefined && allValues(entries[0], 'supportedCapabilities').includes(AD_CAPABILITY);
}

// A uniqueMember value may end with an optional UID ("dn#'0101'B", RFC 4517 NameAndOptionalUID).
const memberDn = (value: string) => normalizeDn(value.replace(/#'[01]*'B$/, ''));

/**
 * The normalized DNs of the link's members among `userDns` (the users the sync knows, normalized): a member
 * that is not one of them is a group (followed when `nested`) or an entry outside the user filter (ignored).
 */
export async function teamMemberDns(
  conn: DirectoryConnection,
  s: LdapSettings,
  link: LdapTeamLink,
  userDns: ReadonlySet<string>,
  activeDirectory: boolean,
): Promise<Set<string>> {
  const users = allUsersFilter(s.userFilter);
  const matching = async (filter: string) =>
    new Set(
      (await conn.searchAll(s.userSearchBase, `(&${users}${filter})`, ['1.1']))
        .map((e) => normalizeDn(e.dn))
        .filter((dn) => userDns.has(dn)),
    );
  if (link.memberFilter !== undefined) return matching(link.memberFilter);
  if (link.groupDn === undefined) return new Set();
  if (link.nested && activeDirectory) return matching(`(memberOf:${IN_CHAIN}:=${escapeFilterValue(link.groupDn)})`);

  const members = new Set<string>();
  const seen = new Set<string>([normalizeDn(link.groupDn)]);
  let level = [link.groupDn];
  for (let depth = 0; level.length > 0 && depth <= MAX_NESTING; depth++) {
    const next: string[] = [];
    for (const group of level) {
      const { entries } = await conn.searchSome(group, '(objectClass=*)', ['member', 'uniqueMember'], 1, 'base');
      const entry = entries[0];
      if (!entry) continue;
      for (const value of [...allValues(entry, 'member'), ...allValues(entry, 'uniqueMember')]) {
        const dn = memberDn(value);
        if (userDns.has(dn)) members.add(dn);
        else if (link.nested && !seen.has(dn) && seen.size < MAX_GROUPS) {
          seen.add(dn);
          next.push(value.replace(/#'[01]*'B$/, ''));
        }
      }
    }
    level = next;
  }
  return members;
}
