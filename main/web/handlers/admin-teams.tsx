/**
 * @module `/admin/organizations/<org>/teams/...`: create a team from the organization's page,
 * and on the team's own page rename it, add and remove members, grant and revoke repository
 * access, and remove it. Site administrators only (`adminOnly`, as every /admin page), through
 * the same OrgManagement calls as the API, so a form and an API call do the same thing.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isAccessLevel } from '../../accounts/organizations.js';
import { AccountError } from '../../accounts/errors.js';
import { organizationHref } from '../admin-organizations.js';
import { AdminTeamPage, teamHref, type TeamFormRetry } from '../admin-team.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { accountErrorStatus, asSentence } from '../web-error-handler.js';
import { formText } from './form.js';
import { adminOnly } from './guards.js';

/** Repositories listed in the grant form's menu; beyond that it asks for a name. */
const REPOSITORY_MENU_LIMIT = 500;

/** A refusal the form can explain (anything else, a missing team included, goes to the error page). */
const explainable = (err: unknown): err is AccountError => err instanceof AccountError && err.code !== 'NO_PERMISSION';

export interface TeamRefusal {
  form: { name: string; description: string };
  error: string;
  status: ContentfulStatusCode;
}

/**
 * The team routes. `showOrganization` renders the organization's page with a refused team creation
 * (its form lives there).
 */
export function adminTeamRoutes(
  deps: WebDeps,
  cookies: WebCookies,
  showOrganization: (c: Context, refusal: TeamRefusal) => Promise<Response>,
): Hono {
  const app = new Hono();
  const orgs = deps.orgManagement;

  const showTeam = async (c: Context, retry?: TeamFormRetry, status?: ContentfulStatusCode) => {
    const { principal, session } = adminOnly(c);
    const { org = '', team: name = '' } = c.req.param();
    const team = await orgs.team(principal, org, name);
    const listed = await deps.repositories.list(principal, { namespace: org, limit: REPOSITORY_MENU_LIMIT });
    const body = (
      <AdminTeamPage
        org={org}
        team={team}
        members={await orgs.teamMembers(principal, org, name)}
        grants={await orgs.teamAccess(principal, org, name)}
        repositories={{ names: listed.items.map((r) => r.name), more: listed.next !== undefined }}
        csrfToken={session.csrfToken}
        retry={retry}
      />
    );
    return renderPage(
      c,
      cookies,
      { title: `${team.name} (${org})`, section: 'admin', ...(status && { status }) },
      body,
    );
  };

  /** Runs a change; an explainable refusal re-renders the page with `retry`'s form, anything else is thrown. */
  const attempt = async (
    c: Context,
    change: () => Promise<unknown>,
    retry: (error: string) => TeamFormRetry,
  ): Promise<Response | undefined> => {
    try {
      await change();
      return undefined;
    } catch (err) {
      if (!explainable(err)) throw err;
      // An unknown user or repository named in a form is the form's mistake: 400, not a missing page.
      return showTeam(c, retry(asSentence(err.message)), err.code === 'NOT_FOUND' ? 400 : accountErrorStatus(err));
    }
  };

  app.post('/admin/organizations/:org/teams', async (c) => {
    const { principal } = adminOnly(c);
    const org = c.req.param('org');
    const data = await c.req.parseBody();
    const form = { name: formText(data, 'name').trim(), description: formText(data, 'description').trim() };
    try {
      await orgs.createTeam(principal, org, {
        name: form.name,
        ...(form.description && { description: form.description }),
      });
    } catch (err) {
      if (explainable(err) && err.code !== 'NOT_FOUND')
        return showOrganization(c, { form, error: asSentence(err.message), status: accountErrorStatus(err) });
      throw err;
    }
    return redirectWithFlash(c, cookies, teamHref(org, form.name), {
      kind: 'success',
      text: `Team ${form.name} created. Add its members and repository access below.`,
    });
  });

  app.get('/admin/organizations/:org/teams/:team', (c) => showTeam(c));

  app.post('/admin/organizations/:org/teams/:team/settings', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team } = c.req.param();
    const data = await c.req.parseBody();
    const form = { name: formText(data, 'name').trim(), description: formText(data, 'description').trim() };
    const refused = await attempt(
      c,
      () => orgs.updateTeam(principal, org, team, form),
      (error) => ({ form: 'settings', error, ...form }),
    );
    return (
      refused ??
      redirectWithFlash(c, cookies, teamHref(org, form.name), {
        kind: 'success',
        text: form.name === team ? `Team ${team} saved.` : `Team ${team} is now ${form.name}.`,
      })
    );
  });

  app.post('/admin/organizations/:org/teams/:team/members', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team } = c.req.param();
    const member = formText(await c.req.parseBody(), 'member').trim();
    const refused = await attempt(
      c,
      () => orgs.addTeamMember(principal, org, team, member),
      (error) => ({ form: 'member', error, member }),
    );
    return refused ?? redirectWithFlash(c, cookies, teamHref(org, team), { kind: 'success', text: `${member} added.` });
  });

  app.post('/admin/organizations/:org/teams/:team/members/:member/remove', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team, member } = c.req.param();
    await orgs.removeTeamMember(principal, org, team, member);
    return redirectWithFlash(c, cookies, teamHref(org, team), {
      kind: 'success',
      text: `${member} removed from ${team}.`,
    });
  });

  app.post('/admin/organizations/:org/teams/:team/access', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team } = c.req.param();
    const data = await c.req.parseBody();
    const form = { repository: formText(data, 'repository').trim(), accessLevel: formText(data, 'accessLevel') };
    const refused = await attempt(
      c,
      async () => {
        if (!isAccessLevel(form.accessLevel)) throw new AccountError('INVALID_INPUT', 'pick read, read-write or admin');
        await orgs.setTeamAccess(principal, org, `${org}/${form.repository}`, team, form.accessLevel);
      },
      (error) => ({ form: 'access', error, ...form }),
    );
    return (
      refused ??
      redirectWithFlash(c, cookies, teamHref(org, team), {
        kind: 'success',
        text: `${team} has ${form.accessLevel} access to ${org}/${form.repository}.`,
      })
    );
  });

  app.post('/admin/organizations/:org/teams/:team/access/remove', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team } = c.req.param();
    const repository = formText(await c.req.parseBody(), 'repository').trim();
    await orgs.removeTeamAccess(principal, org, `${org}/${repository}`, team);
    return redirectWithFlash(c, cookies, teamHref(org, team), {
      kind: 'success',
      text: `${team} no longer has access to ${org}/${repository}.`,
    });
  });

  app.post('/admin/organizations/:org/teams/:team/remove', async (c) => {
    const { principal } = adminOnly(c);
    const { org, team } = c.req.param();
    await orgs.removeTeam(principal, org, team);
    return redirectWithFlash(c, cookies, organizationHref(org), { kind: 'success', text: `Team ${team} removed.` });
  });

  return app;
}
