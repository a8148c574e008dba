/**
 * @module `/admin/users`: list, create, activate or deactivate, grant or take administrator
 * rights, through the account management service the API uses (its rules included: the last
 * active administrator cannot be demoted or deactivated).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AccountError } from '../../accounts/errors.js';
import type { UserView } from '../../accounts/accounts.js';
import { AdminUsersPage, type NewUserForm } from '../admin-users.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { accountErrorStatus, asSentence } from '../web-error-handler.js';
import { formChecked, formText } from './form.js';
import { adminOnly } from './guards.js';

const PAGE_SIZE = 100;

export function adminUserRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  const showUsers = async (
    c: Context,
    extra: { form?: NewUserForm; error?: string; status?: ContentfulStatusCode } = {},
  ) => {
    const { principal, session } = adminOnly(c);
    const all = (await deps.accountManagement.list(principal)).filter(
      (a): a is UserView & { type: 'user' } => a.type === 'user',
    );
    const after = c.req.query('after');
    const start = after ? all.findIndex((u) => u.name > after) : 0;
    const users = start < 0 ? [] : all.slice(start, start + PAGE_SIZE);
    const last = users[users.length - 1];
    const body = (
      <AdminUsersPage
        users={users}
        total={all.length}
        self={principal.name}
        csrfToken={session.csrfToken}
        now={deps.now()}
        {...(extra.form && { form: extra.form })}
        error={extra.error}
        firstHref={after ? '/admin/users' : undefined}
        nextHref={
          last && start + PAGE_SIZE < all.length ? `/admin/users?after=${encodeURIComponent(last.name)}` : undefined
        }
      />
    );
    return renderPage(
      c,
      cookies,
      { title: 'Users', section: 'admin', ...(extra.status && { status: extra.status }) },
      body,
    );
  };

  app.get('/admin/users', (c) => showUsers(c));

  app.post('/admin/users', async (c) => {
    const { principal } = adminOnly(c);
    const data = await c.req.parseBody();
    const form: NewUserForm = {
      name: formText(data, 'name').trim(),
      fullName: formText(data, 'fullName').trim(),
      isAdmin: formChecked(data, 'isAdmin'),
    };
    try {
      await deps.accountManagement.create(principal, {
        type: 'user',
        name: form.name,
        password: formText(data, 'password'),
        isAdmin: form.isAdmin,
        ...(form.fullName && { fullName: form.fullName }),
      });
    } catch (err) {
      if (err instanceof AccountError && err.code !== 'NO_PERMISSION')
        return showUsers(c, { form, error: asSentence(err.message), status: accountErrorStatus(err) });
      throw err;
    }
    return redirectWithFlash(c, cookies, '/admin/users', { kind: 'success', text: `User ${form.name} created.` });
  });

  /** `value=true|false` sets the flag; refusals come back as a message on the list. */
  const toggle =
    (flag: 'isActive' | 'isAdmin', describe: (name: string, on: boolean) => string) => async (c: Context) => {
      const { principal } = adminOnly(c);
      const name = c.req.param('name') ?? '';
      const on = formText(await c.req.parseBody(), 'value') === 'true';
      try {
        await deps.accountManagement.update(principal, name, { [flag]: on });
      } catch (err) {
        if (err instanceof AccountError && err.code !== 'NO_PERMISSION')
          return redirectWithFlash(c, cookies, '/admin/users', { kind: 'error', text: asSentence(err.message) });
        throw err;
      }
      return redirectWithFlash(c, cookies, '/admin/users', { kind: 'success', text: describe(name, on) });
    };

  app.post(
    '/admin/users/:name/active',
    toggle('isActive', (name, on) =>
      on ? `${name} can sign in again.` : `${name} is deactivated and can no longer sign in or pull private images.`,
    ),
  );
  app.post(
    '/admin/users/:name/admin',
    toggle('isAdmin', (name, on) =>
      on ? `${name} is now an administrator.` : `${name} is no longer an administrator.`,
    ),
  );

  return app;
}
