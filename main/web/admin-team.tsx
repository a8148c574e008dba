/**
 * @module Administration: one team of an organization: its name and description, its members
 * (add, remove) and its grants on the organization's repositories (grant, change, revoke), and
 * removing the team. Each form posts to its own action; a refusal comes back on the form it
 * belongs to.
 */
import type { FC } from 'hono/jsx';
import type { TeamAccessView, TeamView } from '../accounts/org-management.js';
import { AdminFrame } from './admin-frame.js';
import { organizationHref } from './admin-organizations.js';
import {
  Alert,
  Card,
  EmptyState,
  Field,
  PostForm,
  SelectField,
  SubmitButton,
  ActionForm,
  TableHead,
} from './components.js';
import { repositoryHref } from './repositories.js';

/** Which form a refusal belongs to, and what the user had typed. */
export type TeamFormRetry =
  | { form: 'settings'; error: string; name: string; description: string }
  | { form: 'member'; error: string; member: string }
  | { form: 'access'; error: string; repository: string; accessLevel: string };

export interface AdminTeamPageProps {
  org: string;
  team: TeamView;
  members: string[];
  grants: TeamAccessView[];
  /** The organization's repositories (short names), for the grant form's list; `more` when there are too many. */
  repositories: { names: string[]; more: boolean };
  csrfToken: string;
  retry?: TeamFormRetry | undefined;
}

export const teamHref = (org: string, team: string) => `${organizationHref(org)}/teams/${encodeURIComponent(team)}`;

const LEVELS = [
  { value: 'read', label: 'Read (pull)' },
  { value: 'read-write', label: 'Read and write (pull, push)' },
  { value: 'admin', label: 'Admin (pull, push, delete, settings)' },
];

const SettingsCard: FC<AdminTeamPageProps> = ({ org, team, csrfToken, retry }) => {
  const failed = retry?.form === 'settings' ? retry : undefined;
  return (
    <Card id="team-settings" title="Name and description">
      <div class="card-body">
        {failed && <Alert kind="error">{failed.error}</Alert>}
        <PostForm action={`${teamHref(org, team.name)}/settings`} csrfToken={csrfToken} label="Rename the team">
          <Field
            label="Team name"
            name="name"
            value={failed?.name ?? team.name}
            required
            maxlength={64}
            help="Lower-case letters, digits, dots, dashes and underscores. Members and grants stay with the team."
          />
          <Field
            label="Description"
            name="description"
            value={failed?.description ?? team.description ?? ''}
            maxlength={500}
          />
          <SubmitButton label="Save team" />
        </PostForm>
      </div>
    </Card>
  );
};

const MembersCard: FC<AdminTeamPageProps> = ({ org, team, members, csrfToken, retry }) => {
  const failed = retry?.form === 'member' ? retry : undefined;
  return (
    <Card id="team-members" title="Members" hint={`${members.length} ${members.length === 1 ? 'member' : 'members'}`}>
      {members.length > 0 ? (
        <div class="table-scroll" tabindex={0}>
          <table class="table">
            <tbody>
              {members.map((member) => (
                <tr>
                  <td class="repo-name">{member}</td>
                  <td class="actions">
                    <ActionForm
                      action={`${teamHref(org, team.name)}/members/${encodeURIComponent(member)}/remove`}
                      csrfToken={csrfToken}
                      label={`Remove ${member} from ${team.name}`}
                      button="Remove"
                      danger
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EmptyState title="No members yet" />
      )}
      <div class="card-body">
        {failed && <Alert kind="error">{failed.error}</Alert>}
        <PostForm action={`${teamHref(org, team.name)}/members`} csrfToken={csrfToken} label="Add a team member">
          <Field
            label="Username"
            name="member"
            value={failed?.member}
            required
            autocomplete="off"
            maxlength={64}
            help={`A user who is not in ${org} yet joins it as a plain member.`}
          />
          <SubmitButton label="Add to team" />
        </PostForm>
      </div>
    </Card>
  );
};

const AccessCard: FC<AdminTeamPageProps> = ({ org, team, grants, repositories, csrfToken, retry }) => {
  const failed = retry?.form === 'access' ? retry : undefined;
  const levelLabel = (level: string) => LEVELS.find((l) => l.value === level)?.label ?? level;
  return (
    <Card id="team-access" title="Repository access">
      {grants.length > 0 ? (
        <div class="table-scroll" tabindex={0}>
          <table class="table">
            <TableHead columns={['Repository', 'Access']} actions />
            <tbody>
              {grants.map((grant) => (
                <tr>
                  <td>
                    <a class="repo-name" href={repositoryHref(`${org}/${grant.repository.name}`)}>
                      {org}/{grant.repository.name}
                    </a>
                  </td>
                  <td>{levelLabel(grant.accessLevel)}</td>
                  <td class="actions">
                    <ActionForm
                      action={`${teamHref(org, team.name)}/access/remove`}
                      csrfToken={csrfToken}
                      label={`Revoke ${team.name}'s access to ${grant.repository.name}`}
                      button="Revoke"
                      danger
                      hidden={{ repository: grant.repository.name }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EmptyState title="No repository access yet">
          <p class="muted">Members of the team see only what a grant below gives them.</p>
        </EmptyState>
      )}
      <div class="card-body">
        {failed && <Alert kind="error">{failed.error}</Alert>}
        {repositories.names.length > 0 ? (
          <PostForm action={`${teamHref(org, team.name)}/access`} csrfToken={csrfToken} label="Grant repository access">
            {repositories.more ? (
              <Field
                label="Repository"
                name="repository"
                value={failed?.repository}
                required
                maxlength={255}
                help={`The repository's name in ${org}, without "${org}/".`}
              />
            ) : (
              <SelectField
                label="Repository"
                name="repository"
                value={failed?.repository}
                options={repositories.names.map((name) => ({ value: name, label: `${org}/${name}` }))}
              />
            )}
            <SelectField label="Access" name="accessLevel" value={failed?.accessLevel ?? 'read'} options={LEVELS} />
            <SubmitButton label="Grant access" />
          </PostForm>
        ) : (
          <p class="muted">{org} has no repositories yet.</p>
        )}
      </div>
    </Card>
  );
};

export const AdminTeamPage: FC<AdminTeamPageProps> = (p) => (
  <AdminFrame
    tab="organizations"
    title={p.team.name}
    subtitle={p.team.description ?? `Team of ${p.org}`}
    crumbs={[
      { href: '/admin/users', label: 'Administration' },
      { href: '/admin/organizations', label: 'Organizations' },
      { href: organizationHref(p.org), label: p.org },
    ]}
  >
    <SettingsCard {...p} />
    <MembersCard {...p} />
    <AccessCard {...p} />
    <Card id="team-remove" title="Remove the team">
      <div class="card-body">
        <p class="muted">Its members stay in {p.org}; they lose the access this team gave them.</p>
        <PostForm action={`${teamHref(p.org, p.team.name)}/remove`} csrfToken={p.csrfToken} label="Remove the team">
          <button type="submit" class="btn btn-danger">
            Remove team {p.team.name}
          </button>
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);
