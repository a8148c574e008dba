/** @module `/admin/settings`: the registry-wide settings, read and saved through the meta settings service. */
import { Hono } from 'hono';
import { AdminSettingsPage } from '../admin-settings.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { formChecked } from './form.js';
import { adminOnly } from './guards.js';

export function adminSettingsRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  app.get('/admin/settings', async (c) => {
    const { principal, session } = adminOnly(c);
    const settings = await deps.metaSettings.get(principal);
    const body = <AdminSettingsPage settings={settings} csrfToken={session.csrfToken} />;
    return renderPage(c, cookies, { title: 'Registry settings', section: 'admin' }, body);
  });

  app.post('/admin/settings', async (c) => {
    const { principal } = adminOnly(c);
    const form = await c.req.parseBody();
    // Unticked checkboxes are not sent: both settings are always written.
    await deps.metaSettings.update(principal, {
      createRepositoryOnPush: formChecked(form, 'createRepositoryOnPush'),
      anonymousPull: formChecked(form, 'anonymousPull'),
    });
    return redirectWithFlash(c, cookies, '/admin/settings', { kind: 'success', text: 'Registry settings saved.' });
  });

  return app;
}
