/**
 * @module Administration: one organization's members (make admin, remove) and the form to add
 * a member, its default content cache (for members who picked none), and its teams (each
 * managed on its own page, admin-team.tsx) with the form to create one.
 */
import type { FC } from 'hono/jsx';
import type { MemberView, TeamView } from '../accounts/org-management.js';
import { AdminFrame } from './admin-frame.js';
import {
  Alert,
  Badge,
  Card,
  Checkbox,
  EmptyState,
  Field,
  PostForm,
  SelectField,
  SubmitButton,
  ActionForm,
  TableHead,
} from './components.js';
import { organizationHref } from './admin-organizations.js';
import { namespaceHref } from './repositories.js';
import { teamHref } from './admin-team.js';

export interface AdminOrganizationPageProps {
  name: string;
  fullName?: string | undefined;
  members: MemberView[];
  teams: TeamView[];
  csrfToken: string;
  error?: string | undefined;
  form?: { member: string; isAdmin: boolean };
  /** The registered caches, the organization's default ('' for none) and why the last save failed. */
  defaultCache: DefaultCacheChoice;
  /** A refused team creation: what was typed and why. */
  teamRetry?: { form: { name: string; description: string }; error: string } | undefined;
}

export interface DefaultCacheChoice {
  caches: Array<{ name: string; region?: string | undefined }>;
  selected: string;
  error?: string | undefined;
}

const DefaultCacheCard: FC<{ org: string; choice: DefaultCacheChoice; csrfToken: string }> = ({
  org,
  choice,
  csrfToken,
}) => (
  <Card id="default-cache" title="Default content cache" hint="For members who picked no cache themselves">
    <div class="card-body">
      {choice.error && <Alert kind="error">{choice.error}</Alert>}
      {choice.caches.length > 0 ? (
        <PostForm action={`${organizationHref(org)}/content-cache`} csrfToken={csrfToken} label="Default content cache">
          <SelectField
            label="Cache"
            name="defaultContentCache"
            value={choice.selected}
            options={[
              { value: '', label: 'None (pull from main)' },
              ...choice.caches.map((cache) => ({
                value: cache.name,
                label: cache.region ? `${cache.name} (${cache.region})` : cache.name,
              })),
            ]}
            help="A member's own choice on their profile page wins over this."
          />
          <SubmitButton label="Save default cache" />
        </PostForm>
      ) : (
        <p class="muted">
          No content caches are registered yet. <a href="/admin/caches">Add one</a> first.
        </p>
      )}
    </div>
  </Card>
);

const memberAction = (org: string, member: string, what: 'role' | 'remove') =>
  `${organizationHref(org)}/members/${encodeURIComponent(member)}/${what}`;

const MemberTable: FC<{ org: string; members: MemberView[]; csrfToken: string }> = ({ org, members, csrfToken }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table">
      <TableHead columns={['Member', 'Role']} actions />
      <tbody>
        {members.map((member) => (
          <tr>
            <td class="repo-name">{member.name}</td>
            <td>
              {member.isAdmin ? <Badge kind="admin">organization admin</Badge> : <span class="muted">member</span>}
            </td>
            <td class="actions">
              <ActionForm
                action={memberAction(org, member.name, 'role')}
                csrfToken={csrfToken}
                label={`Change the role of ${member.name}`}
                button={member.isAdmin ? 'Make member' : 'Make admin'}
                hidden={{ isAdmin: String(!member.isAdmin) }}
              />
              <ActionForm
                action={memberAction(org, member.name, 'remove')}
                csrfToken={csrfToken}
                label={`Remove ${member.name}`}
                button="Remove"
                danger
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const AdminOrganizationPage: FC<AdminOrganizationPageProps> = (p) => (
  <AdminFrame
    tab="organizations"
    title={p.name}
    subtitle={p.fullName ?? 'Organization'}
    crumbs={[
      { href: '/admin/users', label: 'Administration' },
      { href: '/admin/organizations', label: 'Organizations' },
    ]}
  >
    <Card id="members" title="Members" hint={<a href={namespaceHref(p.name)}>Repositories of {p.name}</a>}>
      {p.members.length > 0 ? (
        <MemberTable org={p.name} members={p.members} csrfToken={p.csrfToken} />
      ) : (
        <EmptyState title="No members yet" />
      )}
    </Card>
    <Card id="add-member" title="Add a member">
      <div class="card-body">
        {p.error && <Alert kind="error">{p.error}</Alert>}
        <PostForm action={`${organizationHref(p.name)}/members`} csrfToken={p.csrfToken} label="Add a member">
          <Field label="Username" name="member" value={p.form?.member} required autocomplete="off" maxlength={64} />
          <Checkbox
            label="Organization administrator"
            name="isAdmin"
            checked={p.form?.isAdmin}
            help="May push to and manage every repository of the organization."
          />
          <SubmitButton label="Add member" />
        </PostForm>
      </div>
    </Card>
    <DefaultCacheCard org={p.name} choice={p.defaultCache} csrfToken={p.csrfToken} />
    <Card id="teams" title="Teams" hint="Members of a team get the team's access to its repositories">
      {p.teams.length > 0 ? (
        <div class="table-scroll" tabindex={0}>
          <table class="table">
            <tbody>
              {p.teams.map((team) => (
                <tr>
                  <td>
                    <a class="repo-name" href={teamHref(p.name, team.name)}>
                      {team.name}
                    </a>
                  </td>
                  <td class="muted">{team.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EmptyState title="No teams yet" />
      )}
      <div class="card-body">
        {p.teamRetry && <Alert kind="error">{p.teamRetry.error}</Alert>}
        <PostForm action={`${organizationHref(p.name)}/teams`} csrfToken={p.csrfToken} label="Create a team">
          <Field
            label="Team name"
            name="name"
            id="f-team-name"
            value={p.teamRetry?.form.name}
            required
            autocomplete="off"
            maxlength={64}
          />
          <Field
            label="Description"
            name="description"
            id="f-team-description"
            value={p.teamRetry?.form.description}
            maxlength={500}
          />
          <SubmitButton label="Create team" />
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);
