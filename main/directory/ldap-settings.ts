/**
 * @module The directory settings as the API and the web page see them: a patch is checked (types, limits)
 * and merged into the stored settings; the merged result must be usable when `enabled` (a URL, a search
 * base, a filter naming `{username}`). The bind password is write-only: `toLdapView` answers only whether
 * one is set. Errors are `AccountError('INVALID_INPUT')` with the field's name.
 */
import { z } from 'zod';
import { AccountError } from '../accounts/errors.js';
import type { LdapSettings, LdapTeamLink } from '../metadata/ldap-settings.js';

const MAX_DN = 1024;
const MAX_FILTER = 2048;
const MAX_ATTRIBUTE = 128;
const MAX_PEM = 64 * 1024;
const MAX_TEAM_LINKS = 200;
/** A week: a longer interval is a mistake (days given as minutes). */
const MAX_SYNC_INTERVAL_MINUTES = 7 * 24 * 60;

const filter = z
  .string()
  .max(MAX_FILTER)
  .refine((f) => f === '' || (f.startsWith('(') && f.endsWith(')')), {
    message: 'must be an LDAP filter in parentheses, e.g. (uid={username})',
  });
const attribute = z
  .string()
  .min(1)
  .max(MAX_ATTRIBUTE)
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be an attribute name');
const name = z.string().min(1).max(64);

const teamLink = z
  .object({
    org: name,
    team: name,
    groupDn: z.string().min(1).max(MAX_DN).optional(),
    memberFilter: filter.optional(),
    nested: z.boolean().default(false),
  })
  .strict()
  .refine((l) => (l.groupDn === undefined) !== (l.memberFilter === undefined || l.memberFilter === ''), {
    message: 'a team link names exactly one of groupDn and memberFilter',
  });

/** What `POST /api/v0/meta/settings` may carry under `ldap`; every field optional (a patch). */
export const ldapPatchSchema = z
  .object({
    enabled: z.boolean(),
    url: z
      .string()
      .max(2048)
      .refine(
        (u) => u === '' || /^ldaps?:\/\/[^/?#\s]+\/?$/i.test(u),
        'must be ldap://host[:port] or ldaps://host[:port]',
      ),
    startTls: z.boolean(),
    bindDn: z.string().max(MAX_DN),
    bindPassword: z.string().max(1024),
    userSearchBase: z.string().max(MAX_DN),
    userFilter: filter,
    userDnTemplate: z.string().max(MAX_DN),
    usernameAttribute: attribute,
    emailAttribute: attribute,
    fullNameAttribute: attribute,
    disabledFilter: filter,
    tlsCaPem: z.string().max(MAX_PEM),
    skipTlsVerify: z.boolean(),
    syncIntervalMinutes: z.number().int().min(0).max(MAX_SYNC_INTERVAL_MINUTES),
    teamLinks: z.array(teamLink).max(MAX_TEAM_LINKS),
  })
  .strict()
  .partial();

export type LdapPatch = z.infer<typeof ldapPatchSchema>;

/** The settings without the bind password, as GET answers them. */
export type LdapView = Omit<LdapSettings, 'bindPassword'> & { bindPasswordSet: boolean };

export function toLdapView({ bindPassword, ...rest }: LdapSettings): LdapView {
  return { ...rest, bindPasswordSet: bindPassword !== '' };
}

/** `patch` (unchecked input) merged into `current`; throws INVALID_INPUT naming the first bad field. */
export function mergeLdapSettings(current: LdapSettings, patch: unknown): LdapSettings {
  const parsed = ldapPatchSchema.safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AccountError('INVALID_INPUT', `ldap.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const next: LdapSettings = { ...current };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  next.teamLinks = (parsed.data.teamLinks ?? current.teamLinks).map(
    (l): LdapTeamLink => ({
      org: l.org,
      team: l.team,
      ...(l.groupDn !== undefined && { groupDn: l.groupDn }),
      ...(l.memberFilter !== undefined && l.memberFilter !== '' && { memberFilter: l.memberFilter }),
      nested: l.nested,
    }),
  );
  if (next.enabled) requireUsable(next);
  return next;
}

function requireUsable(s: LdapSettings): void {
  const missing = (field: string, why: string) => new AccountError('INVALID_INPUT', `ldap.${field}: ${why}`);
  if (s.url === '') throw missing('url', 'is required when the directory is enabled');
  if (s.startTls && s.url.toLowerCase().startsWith('ldaps:'))
    throw missing('startTls', 'is for ldap:// URLs (ldaps:// is TLS from the start)');
  if (s.userSearchBase === '') throw missing('userSearchBase', 'is required when the directory is enabled');
  if (!s.userFilter.includes('{username}')) throw missing('userFilter', 'must contain {username}');
  if (s.userDnTemplate !== '' && !s.userDnTemplate.includes('{username}'))
    throw missing('userDnTemplate', 'must contain {username}');
  if (s.bindDn !== '' && s.bindPassword === '') throw missing('bindPassword', 'is required with a bindDn');
}
