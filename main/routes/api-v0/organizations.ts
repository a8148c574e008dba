/**
 * @module Organizations under `/api/v0/accounts/<org>/...` (members, teams, team members, the
 * teams' repository access) and `/api/v0/repositories/<org>/<repo>/teamAccess/<team>`. Who may
 * do what is decided in main/accounts/org-management.ts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { OrgManagement } from '../../accounts/org-management.js';
import { jsonBody } from './request-input.js';

const memberSchema = z.object({ isAdmin: z.boolean().default(false) });
const teamSchema = z.object({ name: z.string(), description: z.string().max(500).optional() });
const teamPatchSchema = z
  .object({ name: z.string().max(64).optional(), description: z.string().max(500).optional() })
  .strict();
const accessSchema = z.object({
  // DTR calls the lowest level `read-only`.
  accessLevel: z
    .enum(['read', 'read-only', 'read-write', 'admin'])
    .transform((level) => (level === 'read-only' ? 'read' : level)),
});

export function organizationRoutes(orgs: OrgManagement): Hono {
  const app = new Hono();

  app.get('/accounts/:org/members', async (c) =>
    c.json({ members: await orgs.members(c.var.principal, c.req.param('org')) }),
  );

  app.put('/accounts/:org/members/:member', async (c) => {
    const { isAdmin } = await jsonBody(c, memberSchema);
    return c.json(await orgs.setMember(c.var.principal, c.req.param('org'), c.req.param('member'), isAdmin));
  });

  app.delete('/accounts/:org/members/:member', async (c) => {
    await orgs.removeMember(c.var.principal, c.req.param('org'), c.req.param('member'));
    return c.body(null, 204);
  });

  app.get('/accounts/:org/teams', async (c) =>
    c.json({ teams: await orgs.teams(c.var.principal, c.req.param('org')) }),
  );

  app.post('/accounts/:org/teams', async (c) => {
    const input = await jsonBody(c, teamSchema);
    return c.json(await orgs.createTeam(c.var.principal, c.req.param('org'), input), 201);
  });

  app.get('/accounts/:org/teams/:team', async (c) =>
    c.json(await orgs.team(c.var.principal, c.req.param('org'), c.req.param('team'))),
  );

  // Organization admins (and site admins): rename the team or change its description ("" removes it).
  app.patch('/accounts/:org/teams/:team', async (c) => {
    const patch = await jsonBody(c, teamPatchSchema);
    return c.json(await orgs.updateTeam(c.var.principal, c.req.param('org'), c.req.param('team'), patch));
  });

  app.delete('/accounts/:org/teams/:team', async (c) => {
    await orgs.removeTeam(c.var.principal, c.req.param('org'), c.req.param('team'));
    return c.body(null, 204);
  });

  app.get('/accounts/:org/teams/:team/members', async (c) => {
    const members = await orgs.teamMembers(c.var.principal, c.req.param('org'), c.req.param('team'));
    return c.json({ members: members.map((name) => ({ name })) });
  });

  app.get('/accounts/:org/teams/:team/members/:member', async (c) =>
    c.json(await orgs.teamMember(c.var.principal, c.req.param('org'), c.req.param('team'), c.req.param('member'))),
  );

  app.put('/accounts/:org/teams/:team/members/:member', async (c) =>
    c.json(await orgs.addTeamMember(c.var.principal, c.req.param('org'), c.req.param('team'), c.req.param('member'))),
  );

  app.delete('/accounts/:org/teams/:team/members/:member', async (c) => {
    await orgs.removeTeamMember(c.var.principal, c.req.param('org'), c.req.param('team'), c.req.param('member'));
    return c.body(null, 204);
  });

  app.get('/accounts/:org/teams/:team/repositoryAccess', async (c) =>
    c.json({ repositoryAccessList: await orgs.teamAccess(c.var.principal, c.req.param('org'), c.req.param('team')) }),
  );

  app.put('/repositories/:namespace/:repo/teamAccess/:team', async (c) => {
    const { accessLevel } = await jsonBody(c, accessSchema);
    const { namespace, repo, team } = c.req.param();
    return c.json(await orgs.setTeamAccess(c.var.principal, namespace, `${namespace}/${repo}`, team, accessLevel));
  });

  app.delete('/repositories/:namespace/:repo/teamAccess/:team', async (c) => {
    const { namespace, repo, team } = c.req.param();
    await orgs.removeTeamAccess(c.var.principal, namespace, `${namespace}/${repo}`, team);
    return c.body(null, 204);
  });

  return app;
}
