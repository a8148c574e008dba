/**
 * @module The signed-in user's profile: account details, the change-password form and the
 * content cache section.
 */
import type { FC } from 'hono/jsx';
import type { UserView } from '../accounts/accounts.js';
import { Alert, Badge, Card, Field, PageHead, PostForm, SubmitButton } from './components.js';
import { ContentCacheSection, type ContentCacheOption } from './content-cache-section.js';
import type { OrganizationDefault } from './content-cache-status.js';
import { formatDate } from './format.js';
import { namespaceHref } from './repositories.js';

export interface ProfilePageProps {
  user: UserView;
  organizations: string[];
  csrfToken: string;
  /** Why the last password change failed, shown above the form. */
  passwordError?: string | undefined;
  caches?: ContentCacheOption[] | undefined;
  selectedCache?: string | undefined;
  /** The organization default that serves the user when they pick no cache. */
  organizationDefault?: OrganizationDefault | undefined;
  /** Why the last cache choice was refused, shown in the cache section. */
  cacheError?: string | undefined;
}

const AccountDetails: FC<{ user: UserView; organizations: string[] }> = ({ user, organizations }) => (
  <Card id="account" title="Account">
    <div class="card-body">
      <dl class="details">
        <dt>Username</dt>
        <dd>
          <strong>{user.name}</strong>
        </dd>
        <dt>Full name</dt>
        <dd>{user.fullName || <span class="muted">not set</span>}</dd>
        <dt>Role</dt>
        <dd>{user.isAdmin ? <Badge kind="admin">administrator</Badge> : 'user'}</dd>
        <dt>Member since</dt>
        <dd>{formatDate(Date.parse(user.createdAt))}</dd>
        <dt>Your namespace</dt>
        <dd>
          <a href={namespaceHref(user.name)}>{user.name}/</a>
        </dd>
        <dt>Organizations</dt>
        <dd>
          {organizations.length > 0 ? (
            organizations.map((org, i) => (
              <>
                {i > 0 && ', '}
                <a href={namespaceHref(org)}>{org}</a>
              </>
            ))
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
      </dl>
    </div>
  </Card>
);

const PasswordForm: FC<{ csrfToken: string; error?: string | undefined; username: string }> = ({
  csrfToken,
  error,
  username,
}) => (
  <Card id="password" title="Change password">
    <div class="card-body">
      {error && <Alert kind="error">{error}</Alert>}
      <PostForm action="/profile/password" csrfToken={csrfToken} label="Change password">
        <input type="text" name="username" value={username} autocomplete="username" hidden />
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          required
          autocomplete="current-password"
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          required
          autocomplete="new-password"
          help="Also used by docker login; at least 8 characters."
        />
        <Field
          label="Confirm new password"
          name="confirmPassword"
          type="password"
          required
          autocomplete="new-password"
        />
        <SubmitButton label="Change password" />
      </PostForm>
    </div>
  </Card>
);

export const ProfilePage: FC<ProfilePageProps> = (p) => (
  <>
    <PageHead title="Your profile" subtitle={`Signed in as ${p.user.name}`} />
    <div class="grid-2">
      <div class="stack">
        <AccountDetails user={p.user} organizations={p.organizations} />
        <ContentCacheSection
          caches={p.caches}
          selected={p.selectedCache}
          organizationDefault={p.organizationDefault}
          error={p.cacheError}
          csrfToken={p.csrfToken}
        />
      </div>
      <PasswordForm csrfToken={p.csrfToken} error={p.passwordError} username={p.user.name} />
    </div>
  </>
);
