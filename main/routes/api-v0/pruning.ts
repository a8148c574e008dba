/**
 * @module `/api/v0/repositories/<ns>/<repo>/pruningPolicies` and `.../pruneNow`: a repository's
 * pruning policy, its dry run and a real run (main/pruning/). Access, on every route here: the
 * caller administers the repository (system admins, the namespace's owner, the organization's
 * admins, teams granted `admin`), checked by main/pruning/pruner.ts; others get 404 (may not
 * see it) or 403 NO_PERMISSION (may pull it). Bodies: at most 64 KiB (request-input.ts), 20
 * rules, tag patterns of at most 128 characters (main/pruning/policy.ts): 400 INVALID_INPUT.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Pruning } from '../../pruning/pruner.js';
import { jsonBody } from './request-input.js';

// The policy's own schema is main/pruning/policy.ts; this only takes the body as an object.
const anyObject = z.record(z.string(), z.unknown());

export function pruningRoutes(pruning: Pruning): Hono {
  const app = new Hono();
  const nameOf = (namespace: string, repo: string) => `${namespace}/${repo}`;

  // Access: repository administrators.
  app.get('/repositories/:namespace/:repo/pruningPolicies', async (c) =>
    c.json(await pruning.getPolicy(c.var.principal, nameOf(c.req.param('namespace'), c.req.param('repo')))),
  );

  // Access: repository administrators. Replaces the whole policy; `{"rules": []}` removes every rule.
  app.put('/repositories/:namespace/:repo/pruningPolicies', async (c) => {
    const body = await jsonBody(c, anyObject);
    const name = nameOf(c.req.param('namespace'), c.req.param('repo'));
    return c.json(await pruning.putPolicy(c.var.principal, name, body));
  });

  // Access: repository administrators. The dry run of the stored policy: what would go now, and why.
  app.post('/repositories/:namespace/:repo/pruningPolicies/test', async (c) =>
    c.json(await pruning.dryRun(c.var.principal, nameOf(c.req.param('namespace'), c.req.param('repo')))),
  );

  // Access: repository administrators. Runs the stored policy now; answers what went.
  app.post('/repositories/:namespace/:repo/pruneNow', async (c) =>
    c.json(await pruning.pruneNow(c.var.principal, nameOf(c.req.param('namespace'), c.req.param('repo')))),
  );

  return app;
}
