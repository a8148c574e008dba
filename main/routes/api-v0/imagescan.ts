/**
 * @module `/api/v0/imagescan`, with DTR's names: a tag's scans per platform (inventory as
 * `packages`, findings as `vulnerabilities`, counts by severity), starting a scan, the queue's
 * and the vulnerability database's status, and a repository's own scan-on-push choice. Access is
 * decided in main/scans/image-scans.ts and stated on each route. A name with more than two
 * segments is addressed with its slashes encoded (`/imagescan/repositories/org/team%2Fapp/1.0`).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ImageScans } from '../../scans/image-scans.js';
import { jsonBody } from './request-input.js';

// Longer than any tag (128): truncated input is then simply invalid. Repository names are checked
// (isRepoName, at most 255 characters) before anything is looked up.
const MAX_TAG_LENGTH = 200;
const MAX_NAME_LENGTH = 300;

const scanOnPushSchema = z.object({ scanOnPush: z.boolean().nullable() });

export function imageScanRoutes(scans: ImageScans): Hono {
  const app = new Hono();
  const name = (c: { req: { param(key: string): string } }) =>
    `${c.req.param('namespace')}/${c.req.param('repo')}`.slice(0, MAX_NAME_LENGTH);
  const tag = (c: { req: { param(key: string): string } }) => c.req.param('tag').slice(0, MAX_TAG_LENGTH);

  // Access: the pull right on the repository (404 without it, as for a repository that does not exist).
  app.get('/imagescan/repositories/:namespace/:repo/:tag', async (c) =>
    c.json(await scans.tagResults(c.var.principal, name(c), tag(c))),
  );

  // Access: signed in and the push right (401 anonymous, 404 without pull, 403 with pull only).
  app.post('/imagescan/scan/:namespace/:repo/:tag', async (c) =>
    c.json({ platforms: await scans.scanTag(c.var.principal, name(c), tag(c)) }, 202),
  );

  // Access: signed in; administrators also see the queued and running scans.
  app.get('/imagescan/status', async (c) => c.json(await scans.status(c.var.principal)));

  // Access: the pull right to read; the repository's administrators to change (null: follow the registry setting).
  app.get('/imagescan/settings/:namespace/:repo', async (c) =>
    c.json(await scans.scanOnPush(c.var.principal, name(c))),
  );
  app.put('/imagescan/settings/:namespace/:repo', async (c) => {
    const { scanOnPush } = await jsonBody(c, scanOnPushSchema);
    return c.json(await scans.setScanOnPush(c.var.principal, name(c), scanOnPush));
  });

  return app;
}
