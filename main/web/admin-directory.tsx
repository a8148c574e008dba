/**
 * @module Administration: the Directory (LDAP / Active Directory) section of the settings page: the
 * settings form (the bind password is never shown; left empty, it is kept), the "test connection" form and
 * the report of the last test. Team links are one per line: `org/team | group DN or (member filter) | nested`.
 */
import type { FC } from 'hono/jsx';
import type { LdapTestReport } from '../directory/connection-test.js';
import type { LdapView } from '../directory/ldap-settings.js';
import type { LdapTeamLink } from '../metadata/ldap-settings.js';
import { Alert, Card, Checkbox, Field, PostForm, SubmitButton, TextAreaField } from './components.js';

/** The team links as the form's text area shows them. */
export const teamLinksText = (links: LdapTeamLink[]): string =>
  links
    .map((l) => [`${l.org}/${l.team}`, l.groupDn ?? l.memberFilter ?? '', ...(l.nested ? ['nested'] : [])].join(' | '))
    .join('\n');

/** The text area read back: INVALID_INPUT-worthy lines are returned as they are, for the settings check. */
export function parseTeamLinks(text: string): unknown[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [team = '', target = '', flag = ''] = line.split('|').map((p) => p.trim());
      const [org = '', name = ''] = team.split('/');
      const key = target.startsWith('(') ? 'memberFilter' : 'groupDn';
      return { org, team: name, [key]: target, nested: flag.toLowerCase() === 'nested' };
    });
}

const TestReport: FC<{ report: LdapTestReport }> = ({ report }) => (
  <div class="card-body" id="ldap-test-report">
    {report.ok ? (
      <Alert kind="success">Connected and searched: {report.users?.count ?? 0} users found.</Alert>
    ) : (
      <Alert kind="error">{report.error ?? 'The test failed.'}</Alert>
    )}
    {report.users && (
      <p>
        {report.users.count} users, {report.users.disabled} of them disabled. First: {report.users.firstDns.join('; ')}
      </p>
    )}
    {report.user && (
      <p>
        User {report.user.username}: {report.user.found ? `found, ${report.user.dn}` : 'not found'}
        {report.user.disabled ? ' (disabled)' : ''}
      </p>
    )}
    {report.teams.map((t) => (
      <p>
        Team {t.org}/{t.team}: {t.members} members. {t.firstDns.join('; ')}
      </p>
    ))}
  </div>
);

export const DirectoryCard: FC<{ ldap: LdapView; csrfToken: string; error?: string; report?: LdapTestReport }> = ({
  ldap,
  csrfToken,
  error,
  report,
}) => (
  <Card id="directory" title="Directory (LDAP / Active Directory)">
    <div class="card-body">
      {error && <Alert kind="error">{error}</Alert>}
      <PostForm action="/admin/settings/ldap" csrfToken={csrfToken} label="Directory settings">
        <Checkbox
          label="Sign in with the directory"
          name="enabled"
          checked={ldap.enabled}
          help="Users who are not local accounts sign in with their directory password; local accounts (admin) always work."
        />
        <Field label="URL" name="url" value={ldap.url} placeholder="ldaps://dir.example.com:636" maxlength={2048} />
        <Checkbox
          label="StartTLS"
          name="startTls"
          checked={ldap.startTls}
          help="Upgrade an ldap:// connection before any bind."
        />
        <Field label="Service account DN" name="bindDn" value={ldap.bindDn} maxlength={1024} />
        <Field
          label="Service account password"
          name="bindPassword"
          type="password"
          autocomplete="new-password"
          maxlength={1024}
          help={ldap.bindPasswordSet ? 'A password is set; leave empty to keep it.' : 'No password is set.'}
        />
        <Field label="User search base" name="userSearchBase" value={ldap.userSearchBase} maxlength={1024} />
        <Field
          label="User filter"
          name="userFilter"
          value={ldap.userFilter}
          maxlength={2048}
          help="{username} is replaced by the escaped name."
        />
        <Field
          label="User DN template (instead of a search)"
          name="userDnTemplate"
          value={ldap.userDnTemplate}
          maxlength={1024}
          placeholder="uid={username},ou=people,dc=example,dc=com"
        />
        <Field label="Username attribute" name="usernameAttribute" value={ldap.usernameAttribute} maxlength={128} />
        <Field label="E-mail attribute" name="emailAttribute" value={ldap.emailAttribute} maxlength={128} />
        <Field label="Full name attribute" name="fullNameAttribute" value={ldap.fullNameAttribute} maxlength={128} />
        <Field
          label="Disabled users filter"
          name="disabledFilter"
          value={ldap.disabledFilter}
          maxlength={2048}
          placeholder="(userAccountControl:1.2.840.113556.1.4.803:=2)"
        />
        <TextAreaField label="CA certificate (PEM)" name="tlsCaPem" value={ldap.tlsCaPem} rows={3} />
        <Checkbox label="Skip TLS verification (tests only)" name="skipTlsVerify" checked={ldap.skipTlsVerify} />
        <Field
          label="Sync interval (minutes, 0 for none)"
          name="syncIntervalMinutes"
          value={String(ldap.syncIntervalMinutes)}
          maxlength={6}
        />
        <TextAreaField
          label="Team links"
          name="teamLinks"
          value={teamLinksText(ldap.teamLinks)}
          rows={3}
          placeholder="acme/devs | cn=devs,ou=groups,dc=example,dc=com | nested"
          help="One per line: org/team | group DN or (member filter) | nested"
        />
        <SubmitButton label="Save directory settings" />
      </PostForm>
      <PostForm action="/admin/settings/ldap/test" csrfToken={csrfToken} label="Test the directory connection">
        <Field label="Look up a username (optional)" name="username" id="f-test-username" maxlength={256} />
        <SubmitButton label="Test connection" />
      </PostForm>
    </div>
    {report && <TestReport report={report} />}
  </Card>
);
