/** @module Administration: the registry-wide settings. */
import type { FC } from 'hono/jsx';
import type { MetaSettings } from '../accounts/accounts-db.js';
import { AdminFrame } from './admin-frame.js';
import { Checkbox, PostForm } from './components.js';

export const AdminSettingsPage: FC<{ settings: MetaSettings; csrfToken: string }> = ({ settings, csrfToken }) => (
  <AdminFrame tab="settings" title="Registry settings" subtitle="Apply to every repository and client">
    <section class="card" aria-labelledby="settings-title">
      <div class="card-head">
        <h2 id="settings-title">Access</h2>
      </div>
      <div class="card-body">
        <PostForm action="/admin/settings" csrfToken={csrfToken} label="Registry settings">
          <Checkbox
            label="Create repositories on push"
            name="createRepositoryOnPush"
            checked={settings.createRepositoryOnPush}
            help="Pushing to a repository that does not exist creates it, when the pusher may write to its namespace. When off, repositories must be created first."
          />
          <Checkbox
            label="Anonymous pulls"
            name="anonymousPull"
            checked={settings.anonymousPull}
            help="Clients without credentials may pull public repositories. When off, every pull needs an account."
          />
          <div class="form-actions">
            <button type="submit" class="btn btn-primary">
              Save settings
            </button>
          </div>
        </PostForm>
      </div>
    </section>
  </AdminFrame>
);
