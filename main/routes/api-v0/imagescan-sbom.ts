/**
 * @module `/api/v0/imagescan/sbom/{namespace}/{repo}/{tag}`: a scanned platform's software inventory as
 * an SBOM (`?format=cyclonedx|spdx`, `?platform=os/arch[/variant]` for a multi-platform tag), and its
 * `/attach` that pushes it next to the image as an OCI referrer. Rendering and rights live in
 * main/images/sbom-export.ts and sbom-attach.ts.
 */
import { Hono } from 'hono';
import type { SbomAttach } from '../../images/sbom-attach.js';
import type { SbomExport } from '../../images/sbom-export.js';

// Longer than any tag (128); a longer value is invalid anyway. Formats and platforms are short words.
const MAX_TAG_LENGTH = 200;
const MAX_QUERY_LENGTH = 100;

export interface SbomRoutesDeps {
  sboms: SbomExport;
  sbomAttach: SbomAttach;
}

export function sbomRoutes({ sboms, sbomAttach }: SbomRoutesDeps): Hono {
  const app = new Hono();
  const input = (c: { req: { param(k: string): string; query(k: string): string | undefined } }) => ({
    name: `${c.req.param('namespace')}/${c.req.param('repo')}`,
    tag: c.req.param('tag').slice(0, MAX_TAG_LENGTH),
    format: (c.req.query('format') ?? 'cyclonedx').slice(0, MAX_QUERY_LENGTH),
    platform: c.req.query('platform')?.slice(0, MAX_QUERY_LENGTH),
  });

  // Access: the pull right on the repository (without it, the 404 of a repository that does not exist).
  app.get('/imagescan/sbom/:namespace/:repo/:tag', async (c) => {
    const { name, tag, format, platform } = input(c);
    const sbom = await sboms.render(c.var.principal, name, tag, format, platform);
    c.header('Content-Disposition', `attachment; filename="${sbom.fileName}"`);
    c.header('Content-Type', `${sbom.mediaType}; charset=utf-8`);
    return c.body(JSON.stringify(sbom.document, null, 2));
  });

  // Access: the pull and push rights on the repository (NO_PERMISSION with pull alone).
  app.post('/imagescan/sbom/:namespace/:repo/:tag/attach', async (c) => {
    const { name, tag, format, platform } = input(c);
    return c.json(await sbomAttach.attach(c.var.principal, name, tag, format, platform), 201);
  });

  return app;
}
