/**
 * @module `/admin/settings/ldap` (save the directory settings) and `/admin/settings/ldap/test` (test them,
 * changing nothing), both admins only, through the meta settings service the API uses: its refusals are
 * shown on the page with status 400, the test's report under the form.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { AccountError } from '../../accounts/errors.js';
import type { LdapTestReport } from '../../directory/connection-test.js';
import { parseTeamLinks } from '../admin-directory.js';
import { AdminSettingsPage } from '../admin-settings.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { asSentence } from '../web-error-handler.js';
import { formChecked, formText } from './form.js';
import { adminOnly } from './guards.js';

const TEXT_FIELDS = [
  'url',
  'bindDn',
  'userSearchBase',
  'userFilter',
  'userDnTemplate',
  'usernameAttribute',
  'emailAttribute',
  'fullNameAttribute',
  'disabledFilter',
  'tlsCaPem',
] as const;

export function adminDirectoryRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  const showPage = async (c: Context, status: 200 | 400, directory: { error?: string; report?: LdapTestReport }) => {
    const { principal, session } = adminOnly(c);
    const settings = await deps.metaSettings.get(principal);
    const body = <AdminSettingsPage settings={settings} csrfToken={session.csrfToken} directory={directory} />;
    return renderPage(c, cookies, { title: 'Registry settings', section: 'admin', status }, body);
  };

  app.post('/admin/settings/ldap', async (c) => {
    const { principal } = adminOnly(c);
    const form = await c.req.parseBody();
    const ldap: Record<string, unknown> = {
      enabled: formChecked(form, 'enabled'),
      startTls: formChecked(form, 'startTls'),
      skipTlsVerify: formChecked(form, 'skipTlsVerify'),
      syncIntervalMinutes: Number(formText(form, 'syncIntervalMinutes').trim() || '0'),
      teamLinks: parseTeamLinks(formText(form, 'teamLinks')),
    };
    for (const field of TEXT_FIELDS) ldap[field] = formText(form, field).trim();
    // Empty keeps the stored password (the form never shows it).
    const password = formText(form, 'bindPassword');
    if (password !== '') ldap.bindPassword = password;
    try {
      await deps.metaSettings.update(principal, { ldap });
    } catch (err) {
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return showPage(c, 400, { error: asSentence(err.message) });
      throw err;
    }
    return redirectWithFlash(c, cookies, '/admin/settings', { kind: 'success', text: 'Directory settings saved.' });
  });

  app.post('/admin/settings/ldap/test', async (c) => {
    const { principal } = adminOnly(c);
    const form = await c.req.parseBody();
    const username = formText(form, 'username').trim().slice(0, 256);
    try {
      const report = await deps.metaSettings.testLdap(principal, username ? { username } : {});
      return showPage(c, 200, { report });
    } catch (err) {
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return showPage(c, 400, { error: asSentence(err.message) });
      throw err;
    }
  });

  return app;
}
