/** @module Administration: the organizations, and the form to create one. */
import type { FC } from 'hono/jsx';
import { AdminFrame } from './admin-frame.js';
import { Alert, Card, EmptyState, Field, PostForm, SubmitButton } from './components.js';

export interface OrganizationRow {
  name: string;
  fullName?: string;
  memberCount: number;
}

export interface AdminOrganizationsPageProps {
  organizations: OrganizationRow[];
  csrfToken: string;
  form?: { name: string; fullName: string };
  error?: string | undefined;
}

export const organizationHref = (org: string) => `/admin/organizations/${encodeURIComponent(org)}`;

const OrganizationTable: FC<{ organizations: OrganizationRow[] }> = ({ organizations }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table">
      <thead>
        <tr>
          <th scope="col">Organization</th>
          <th scope="col">Full name</th>
          <th scope="col" class="num">
            Members
          </th>
        </tr>
      </thead>
      <tbody>
        {organizations.map((org) => (
          <tr>
            <td>
              <a class="repo-name" href={organizationHref(org.name)}>
                {org.name}
              </a>
            </td>
            <td>{org.fullName ?? <span class="muted">not set</span>}</td>
            <td class="num">{org.memberCount}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const AdminOrganizationsPage: FC<AdminOrganizationsPageProps> = (p) => (
  <AdminFrame
    tab="organizations"
    title="Organizations"
    subtitle="Shared namespaces whose repositories teams get access to"
  >
    <section class="card" aria-label="Organizations">
      {p.organizations.length > 0 ? (
        <OrganizationTable organizations={p.organizations} />
      ) : (
        <EmptyState title="No organizations yet">
          <p class="muted">Create one below; its name becomes a namespace, as in org/app.</p>
        </EmptyState>
      )}
    </section>
    <Card id="new-org" title="Create an organization">
      <div class="card-body">
        {p.error && <Alert kind="error">{p.error}</Alert>}
        <PostForm action="/admin/organizations" csrfToken={p.csrfToken} label="Create an organization">
          <div class="form-row">
            <Field
              label="Name"
              name="name"
              value={p.form?.name}
              required
              autocomplete="off"
              maxlength={64}
              help="Lowercase letters, digits and . _ -"
            />
            <Field label="Full name" name="fullName" value={p.form?.fullName} autocomplete="off" help="Optional" />
          </div>
          <SubmitButton label="Create organization" />
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);
