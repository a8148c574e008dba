/** @module Administration: the registry-wide settings. */
import type { FC } from 'hono/jsx';
import type { MetaSettingsView } from '../accounts/meta-settings.js';
import type { LdapTestReport } from '../directory/connection-test.js';
import { DirectoryCard } from './admin-directory.js';
import { AdminFrame } from './admin-frame.js';
import { Card, Checkbox, PostForm, SubmitButton } from './components.js';

export const AdminSettingsPage: FC<{
  settings: MetaSettingsView;
  csrfToken: string;
  /** The directory form's refusal, or the last connection test's report. */
  directory?: { error?: string; report?: LdapTestReport };
}> = ({ settings, csrfToken, directory }) => (
  <AdminFrame tab="settings" title="Registry settings" subtitle="Apply to every repository and client">
    <Card id="settings" title="Access">
      <div class="card-body">
        <PostForm action="/admin/settings" csrfToken={csrfToken} label="Registry settings">
          <Checkbox
            label="Create repositories on push"
            name="createRepositoryOnPush"
            checked={settings.createRepositoryOnPush}
            help={
              'Pushing to a repository that does not exist creates it, when the pusher may write to its ' +
              'namespace. When off, repositories must be created first.'
            }
          />
          <Checkbox
            label="Anonymous pulls"
            name="anonymousPull"
            checked={settings.anonymousPull}
            help="Clients without credentials may pull public repositories. When off, every pull needs an account."
          />
          <SubmitButton label="Save settings" />
        </PostForm>
      </div>
    </Card>
    {settings.ldap && <DirectoryCard ldap={settings.ldap} csrfToken={csrfToken} {...directory} />}
  </AdminFrame>
);
