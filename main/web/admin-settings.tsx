/** @module Administration: the registry-wide settings. */
import type { FC } from 'hono/jsx';
import type { MetaSettings } from '../metadata/settings.js';
import { AdminFrame } from './admin-frame.js';
import { Card, Checkbox, PostForm, SubmitButton } from './components.js';

export const AdminSettingsPage: FC<{ settings: MetaSettings; csrfToken: string }> = ({ settings, csrfToken }) => (
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
  </AdminFrame>
);
