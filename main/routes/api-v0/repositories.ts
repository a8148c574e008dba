/**
 * @module `/api/v0/repositories`: repositories as objects (create, list, read, settings,
 * delete), their tags and their event log. Who may do what is decided in
 * main/accounts/repositories.ts. A name with more than two segments (`org/team/app`, pushed by
 * a registry client) is addressed with its slashes encoded: `/repositories/org/team%2Fapp`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Repositories } from '../../accounts/repositories.js';
import type { Images } from '../../images/images.js';
import { jsonBody, nextPageHeader, pageQuery } from './request-input.js';

const settingsSchema = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  immutableTags: z.boolean().optional(),
  blockPullsAtSeverity: z.enum(['critical', 'high', 'medium', 'low', 'none']).optional(),
});
const newRepositorySchema = settingsSchema.extend({ name: z.string() });

// Longer than any tag (128) or digest (sha512: 135): truncated input is then simply invalid.
const MAX_REFERENCE_LENGTH = 200;

export function repositoryRoutes(repositories: Repositories, images: Images): Hono {
  const app = new Hono();
  const fullName = (namespace: string, repo: string) => `${namespace}/${repo}`;

  // Anyone (what the caller may pull is listed); `?q=` keeps names containing it (any case).
  app.get('/repositories', async (c) => {
    const search = c.req.query('q');
    const page = await repositories.list(c.var.principal, { ...pageQuery(c), ...(search && { search }) });
    nextPageHeader(c, page.next);
    return c.json({ repositories: page.items });
  });

  app.get('/repositories/:namespace', async (c) => {
    const page = await repositories.list(c.var.principal, { ...pageQuery(c), namespace: c.req.param('namespace') });
    nextPageHeader(c, page.next);
    return c.json({ repositories: page.items });
  });

  app.post('/repositories/:namespace', async (c) => {
    const input = await jsonBody(c, newRepositorySchema);
    return c.json(await repositories.create(c.var.principal, c.req.param('namespace'), input), 201);
  });

  app.get('/repositories/:namespace/:repo', async (c) =>
    c.json(await repositories.get(c.var.principal, fullName(c.req.param('namespace'), c.req.param('repo')))),
  );

  app.patch('/repositories/:namespace/:repo', async (c) => {
    const patch = await jsonBody(c, settingsSchema);
    return c.json(
      await repositories.update(c.var.principal, fullName(c.req.param('namespace'), c.req.param('repo')), patch),
    );
  });

  app.delete('/repositories/:namespace/:repo', async (c) => {
    await repositories.delete(c.var.principal, fullName(c.req.param('namespace'), c.req.param('repo')));
    return c.body(null, 204);
  });

  app.get('/repositories/:namespace/:repo/events', async (c) => {
    const { limit } = pageQuery(c);
    return c.json({
      events: await repositories.events(
        c.var.principal,
        fullName(c.req.param('namespace'), c.req.param('repo')),
        limit,
      ),
    });
  });

  // DTR answers the tag list as a bare array.
  app.get('/repositories/:namespace/:repo/tags', async (c) => {
    const page = await repositories.tags(
      c.var.principal,
      fullName(c.req.param('namespace'), c.req.param('repo')),
      pageQuery(c),
    );
    nextPageHeader(c, page.next);
    return c.json(page.items);
  });

  // Image details (main/images/). Access: the pull right on the repository, as a registry pull
  // needs; a caller without it gets the 404 of a repository that does not exist.
  app.get('/repositories/:namespace/:repo/tags/:tag', async (c) =>
    c.json(
      await images.byTag(
        c.var.principal,
        fullName(c.req.param('namespace'), c.req.param('repo')),
        c.req.param('tag').slice(0, MAX_REFERENCE_LENGTH),
      ),
    ),
  );

  app.get('/repositories/:namespace/:repo/manifests/:digest', async (c) =>
    c.json(
      await images.byDigest(
        c.var.principal,
        fullName(c.req.param('namespace'), c.req.param('repo')),
        c.req.param('digest').slice(0, MAX_REFERENCE_LENGTH),
      ),
    ),
  );

  return app;
}
