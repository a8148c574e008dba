/**
 * @module `/admin/organizations`: list and create organizations; `/admin/organizations/<org>`:
 * its members (add, change role, remove), its default content cache and its teams (admin-teams.tsx),
 * through the services the API uses.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AccountError } from '../../accounts/errors.js';
import { AdminOrganizationPage } from '../admin-organization.js';
import { AdminOrganizationsPage, organizationHref } from '../admin-organizations.js';
import { unknownCacheMessage } from '../content-cache-status.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { accountErrorStatus, asSentence } from '../web-error-handler.js';
import { formChecked, formText } from './form.js';
import { adminOnly } from './guards.js';
import { adminTeamRoutes, type TeamRefusal } from './admin-teams.js';

interface Retry<F> {
  form: F;
  error: string;
  status: ContentfulStatusCode;
}

/** An account refusal the form can explain (anything else goes to the error page). */
const explainable = (err: unknown): err is AccountError => err instanceof AccountError && err.code !== 'NO_PERMISSION';

export function adminOrganizationRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  const showOrganizations = async (c: Context, retry?: Retry<{ name: string; fullName: string }>) => {
    const { session } = adminOnly(c);
    const organizations = await Promise.all(
      (await deps.accounts.listOrgs()).map(async (org) => ({
        ...org,
        memberCount: (await deps.accounts.listOrgMembers(org.name)).length,
      })),
    );
    const body = (
      <AdminOrganizationsPage
        organizations={organizations}
        csrfToken={session.csrfToken}
        {...(retry && { form: retry.form })}
        error={retry?.error}
      />
    );
    return renderPage(
      c,
      cookies,
      { title: 'Organizations', section: 'admin', ...(retry && { status: retry.status }) },
      body,
    );
  };

  const showOrganization = async (
    c: Context,
    retry?: Retry<{ member: string; isAdmin: boolean }>,
    cacheRefusal?: { error: string; status: ContentfulStatusCode },
    teamRefusal?: TeamRefusal,
  ) => {
    const { principal, session } = adminOnly(c);
    const name = c.req.param('org') ?? '';
    const account = await deps.accountManagement.get(principal, name);
    if (account.type !== 'organization') throw new AccountError('NOT_FOUND', `organization "${name}" does not exist`);
    const defaultCache = {
      caches: (await deps.caches.caches.list()).map((cache) => ({ name: cache.name, region: cache.region })),
      selected: (await deps.accountManagement.settings(principal, name)).defaultContentCache ?? '',
      error: cacheRefusal?.error,
    };
    const body = (
      <AdminOrganizationPage
        name={name}
        fullName={account.fullName}
        members={await deps.orgManagement.members(principal, name)}
        teams={await deps.orgManagement.teams(principal, name)}
        csrfToken={session.csrfToken}
        error={retry?.error}
        {...(retry && { form: retry.form })}
        defaultCache={defaultCache}
        teamRetry={teamRefusal}
      />
    );
    const status = retry?.status ?? cacheRefusal?.status ?? teamRefusal?.status;
    return renderPage(c, cookies, { title: name, section: 'admin', ...(status && { status }) }, body);
  };

  app.get('/admin/organizations', (c) => showOrganizations(c));

  app.post('/admin/organizations', async (c) => {
    const { principal } = adminOnly(c);
    const data = await c.req.parseBody();
    const form = { name: formText(data, 'name').trim(), fullName: formText(data, 'fullName').trim() };
    try {
      await deps.accountManagement.create(principal, {
        type: 'organization',
        name: form.name,
        ...(form.fullName && { fullName: form.fullName }),
      });
    } catch (err) {
      if (explainable(err))
        return showOrganizations(c, { form, error: asSentence(err.message), status: accountErrorStatus(err) });
      throw err;
    }
    return redirectWithFlash(c, cookies, organizationHref(form.name), {
      kind: 'success',
      text: `Organization ${form.name} created. Add its members below.`,
    });
  });

  app.get('/admin/organizations/:org', (c) => showOrganization(c));

  app.post('/admin/organizations/:org/members', async (c) => {
    const { principal } = adminOnly(c);
    const org = c.req.param('org');
    const data = await c.req.parseBody();
    const form = { member: formText(data, 'member').trim(), isAdmin: formChecked(data, 'isAdmin') };
    try {
      await deps.orgManagement.setMember(principal, org, form.member, form.isAdmin);
    } catch (err) {
      // An unknown user is explained on the form (an unknown organization fails the page itself).
      if (explainable(err))
        return showOrganization(c, {
          form,
          error: asSentence(err.message),
          status: err.code === 'NOT_FOUND' ? 400 : accountErrorStatus(err),
        });
      throw err;
    }
    return redirectWithFlash(c, cookies, organizationHref(org), {
      kind: 'success',
      text: `${form.member} added to ${org}.`,
    });
  });

  app.post('/admin/organizations/:org/content-cache', async (c) => {
    const { principal } = adminOnly(c);
    const org = c.req.param('org');
    const cache = formText(await c.req.parseBody(), 'defaultContentCache');
    try {
      await deps.accountManagement.updateSettings(principal, org, { defaultContentCache: cache });
    } catch (err) {
      // The cache name is the only input: INVALID_INPUT means it names no registered cache.
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return showOrganization(c, undefined, { error: unknownCacheMessage(cache), status: 400 });
      throw err;
    }
    const text = cache
      ? `Members of ${org} without a cache of their own now pull from ${cache}.`
      : `${org} has no default content cache now.`;
    return redirectWithFlash(c, cookies, organizationHref(org), { kind: 'success', text });
  });

  app.post('/admin/organizations/:org/members/:member/role', async (c) => {
    const { principal } = adminOnly(c);
    const { org, member } = c.req.param();
    const isAdmin = formText(await c.req.parseBody(), 'isAdmin') === 'true';
    await deps.orgManagement.setMember(principal, org, member, isAdmin);
    return redirectWithFlash(c, cookies, organizationHref(org), {
      kind: 'success',
      text: `${member} is now ${isAdmin ? 'an administrator' : 'a member'} of ${org}.`,
    });
  });

  app.post('/admin/organizations/:org/members/:member/remove', async (c) => {
    const { principal } = adminOnly(c);
    const { org, member } = c.req.param();
    await deps.orgManagement.removeMember(principal, org, member);
    return redirectWithFlash(c, cookies, organizationHref(org), {
      kind: 'success',
      text: `${member} removed from ${org}.`,
    });
  });

  app.route(
    '/',
    adminTeamRoutes(deps, cookies, (c, refusal) => showOrganization(c, undefined, undefined, refusal)),
  );

  return app;
}
