/**
 * @module The directory (LDAP / Active Directory) settings as the settings owner stores them
 * (main/metadata/settings.ts `getLdapSettings`/`setLdapSettings`). The meaning of each field and its
 * validation live in main/directory/ldap-settings.ts; this file is only the stored shape and its defaults.
 */

/** A team whose members the directory decides (the sync sets them; see main/directory/ldap-sync.ts). */
export interface LdapTeamLink {
  org: string;
  team: string;
  /** Members are this group's `member`/`uniqueMember` entries (exactly one of groupDn and memberFilter). */
  groupDn?: string;
  /** Members are the users matching this filter (under the user search base). */
  memberFilter?: string;
  /** Members of groups that are members count too (bounded depth, or AD's matching rule in chain). */
  nested: boolean;
}

export interface LdapSettings {
  enabled: boolean;
  /** ldap://host:port or ldaps://host:port. */
  url: string;
  /** Upgrade an ldap:// connection with StartTLS before any bind. */
  startTls: boolean;
  /** The service account that searches ('' binds anonymously). */
  bindDn: string;
  /** The service account's password: write-only, never answered by the API nor logged. */
  bindPassword: string;
  userSearchBase: string;
  /** e.g. "(uid={username})"; {username} is replaced by the escaped name (RFC 4515). */
  userFilter: string;
  /** When set, sign-in binds as this DN directly ({username} escaped per RFC 4514) instead of searching. */
  userDnTemplate: string;
  usernameAttribute: string;
  emailAttribute: string;
  fullNameAttribute: string;
  /** Users matching this filter are deactivated ('' for none), e.g. "(employeeType=disabled)". */
  disabledFilter: string;
  /** PEM of the CA(s) the server's certificate must chain to ('' for the system's). */
  tlsCaPem: string;
  /** Accept any certificate (tests, never production). */
  skipTlsVerify: boolean;
  /** Minutes between periodic syncs; 0: no periodic sync. */
  syncIntervalMinutes: number;
  teamLinks: LdapTeamLink[];
}

export const DEFAULT_LDAP_SETTINGS: Readonly<LdapSettings> = Object.freeze({
  enabled: false,
  url: '',
  startTls: false,
  bindDn: '',
  bindPassword: '',
  userSearchBase: '',
  userFilter: '(uid={username})',
  userDnTemplate: '',
  usernameAttribute: 'uid',
  emailAttribute: 'mail',
  fullNameAttribute: 'cn',
  disabledFilter: '',
  tlsCaPem: '',
  skipTlsVerify: false,
  syncIntervalMinutes: 60,
  teamLinks: [],
});

/** A fresh copy of the defaults (the frozen object's array must not be shared). */
export const defaultLdapSettings = (): LdapSettings => ({ ...DEFAULT_LDAP_SETTINGS, teamLinks: [] });

/**
 * The stored value read back defensively: fields of the wrong type take their default (the row or record is
 * ours, but a hand-edited value must not reach a bind).
 */
export function toLdapSettings(stored: unknown): LdapSettings {
  const out = defaultLdapSettings();
  if (!stored || typeof stored !== 'object') return out;
  const value = stored as Record<string, unknown>;
  const target = out as unknown as Record<string, unknown>;
  for (const [key, fallback] of Object.entries(DEFAULT_LDAP_SETTINGS)) {
    if (key === 'teamLinks') continue;
    if (typeof value[key] === typeof fallback) target[key] = value[key];
  }
  if (Array.isArray(value.teamLinks)) {
    out.teamLinks = value.teamLinks.flatMap((l: unknown) => {
      const link = l as Record<string, unknown> | null;
      if (!link || typeof link.org !== 'string' || typeof link.team !== 'string') return [];
      return [
        {
          org: link.org,
          team: link.team,
          ...(typeof link.groupDn === 'string' && { groupDn: link.groupDn }),
          ...(typeof link.memberFilter === 'string' && { memberFilter: link.memberFilter }),
          nested: link.nested === true,
        },
      ];
    });
  }
  return out;
}
