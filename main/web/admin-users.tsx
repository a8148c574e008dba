/**
 * @module Administration: the users of the registry, with buttons to activate or deactivate
 * them and to grant or take administrator rights, and the form to create one.
 */
import type { FC } from 'hono/jsx';
import type { UserView } from '../accounts/accounts.js';
import { AdminFrame } from './admin-frame.js';
import {
  Alert,
  Badge,
  Card,
  Checkbox,
  Field,
  Pager,
  PostForm,
  SubmitButton,
  TimeAgo,
  TableHead,
} from './components.js';

export interface NewUserForm {
  name: string;
  fullName: string;
  isAdmin: boolean;
}

export interface AdminUsersPageProps {
  users: UserView[];
  total: number;
  /** The signed-in administrator (who cannot demote or deactivate themselves here). */
  self: string;
  csrfToken: string;
  now: number;
  form?: NewUserForm;
  error?: string | undefined;
  firstHref?: string | undefined;
  nextHref?: string | undefined;
}

const userAction = (name: string, what: 'active' | 'admin') => `/admin/users/${encodeURIComponent(name)}/${what}`;

const ToggleButton: FC<{ action: string; csrfToken: string; value: boolean; label: string; danger?: boolean }> = (
  p,
) => (
  <PostForm action={p.action} csrfToken={p.csrfToken} label={p.label}>
    <input type="hidden" name="value" value={String(p.value)} />
    <button type="submit" class={p.danger ? 'btn btn-small btn-danger' : 'btn btn-small'}>
      {p.label}
    </button>
  </PostForm>
);

const UserActions: FC<{ user: UserView; self: string; csrfToken: string }> = ({ user, self, csrfToken }) =>
  user.name === self ? (
    <span class="muted">you</span>
  ) : (
    <>
      <ToggleButton
        action={userAction(user.name, 'admin')}
        csrfToken={csrfToken}
        value={!user.isAdmin}
        label={user.isAdmin ? 'Remove admin' : 'Make admin'}
      />
      <ToggleButton
        action={userAction(user.name, 'active')}
        csrfToken={csrfToken}
        value={!user.isActive}
        label={user.isActive ? 'Deactivate' : 'Activate'}
        danger={user.isActive}
      />
    </>
  );

const UserTable: FC<{ users: UserView[]; self: string; csrfToken: string; now: number }> = ({
  users,
  self,
  csrfToken,
  now,
}) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table">
      <TableHead columns={['User', 'Role', 'Status', 'Created']} actions />
      <tbody>
        {users.map((user) => (
          <tr>
            <td>
              <span class="repo-name">{user.name}</span>
              {user.fullName && <div class="muted">{user.fullName}</div>}
            </td>
            <td>{user.isAdmin ? <Badge kind="admin">admin</Badge> : <span class="muted">user</span>}</td>
            <td>{user.isActive ? <Badge kind="up">active</Badge> : <Badge kind="inactive">deactivated</Badge>}</td>
            <td class="muted nowrap">
              <TimeAgo at={Date.parse(user.createdAt)} now={now} />
            </td>
            <td class="actions">
              <UserActions user={user} self={self} csrfToken={csrfToken} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const CreateUserForm: FC<{ csrfToken: string; form?: NewUserForm | undefined; error?: string | undefined }> = ({
  csrfToken,
  form,
  error,
}) => (
  <Card id="new-user" title="Create a user">
    <div class="card-body">
      {error && <Alert kind="error">{error}</Alert>}
      <PostForm action="/admin/users" csrfToken={csrfToken} label="Create a user">
        <div class="form-row">
          <Field
            label="Username"
            name="name"
            value={form?.name}
            required
            autocomplete="off"
            maxlength={64}
            help="Lowercase letters, digits and . _ -"
          />
          <Field label="Full name" name="fullName" value={form?.fullName} autocomplete="off" help="Optional" />
          <Field
            label="Initial password"
            name="password"
            type="password"
            required
            autocomplete="new-password"
            help="At least 8 characters"
          />
        </div>
        <Checkbox
          label="Administrator"
          name="isAdmin"
          checked={form?.isAdmin}
          help="May manage users, organizations, settings and every repository."
        />
        <SubmitButton label="Create user" />
      </PostForm>
    </div>
  </Card>
);

export const AdminUsersPage: FC<AdminUsersPageProps> = (p) => (
  <AdminFrame
    tab="users"
    title="Users"
    subtitle={`${p.total} ${p.total === 1 ? 'account' : 'accounts'} can sign in to this registry`}
  >
    <section class="card" aria-label="Users">
      <UserTable users={p.users} self={p.self} csrfToken={p.csrfToken} now={p.now} />
      <Pager first={p.firstHref} next={p.nextHref} summary={`${p.users.length} of ${p.total} shown`} />
    </section>
    <CreateUserForm csrfToken={p.csrfToken} form={p.form} error={p.error} />
  </AdminFrame>
);
