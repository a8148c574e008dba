/**
 * @module The tag page `/repositories/<name>/-/tags/<tag>` and the manifest page
 * `/repositories/<name>/-/manifests/<digest>` (`?platform=<digest>` picks an index's platform).
 * `-` cannot be a segment of a repository name, so these paths never shadow a repository.
 * Access: the pull right on the repository (main/images/images.ts); without it, the 404 of a
 * repository that does not exist.
 */
import { Hono, type Context } from 'hono';
import { AccountError } from '../../accounts/errors.js';
import type { TagDetails } from '../../images/images.js';
import type { ImageView } from '../../images/image-details.js';
import { platformName } from '../../images/platforms.js';
import type { RepositoryView } from '../../accounts/repositories.js';
import type { VulnerabilitiesProps } from '../vulnerabilities-section.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage, viewerOf, webPrincipal } from '../render.js';
import { clientAddress } from '../../../src/http/node-bindings.js';
import { signedIn } from './guards.js';
import { manifestHref, TagPage, tagHref } from '../tag-page.js';
import type { WebDeps } from '../web-deps.js';
import { WebError } from '../web-error.js';

// Longer than any tag (128) or digest (sha512: 135): a longer value is invalid anyway.
const MAX_REFERENCE_LENGTH = 200;

export function tagPageRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();
  const host = new URL(deps.publicUrl).host;

  /** The selected platform's scan card: one read of its scan; the button only for those who may push. */
  async function vulnerabilitiesOf(
    c: Context,
    repo: RepositoryView,
    details: TagDetails,
    selected: ImageView,
  ): Promise<VulnerabilitiesProps> {
    const principal = webPrincipal(c);
    const csrfToken = c.get('session')?.csrfToken;
    const mayPush =
      csrfToken !== undefined && (await deps.accessControl.actionsFor(principal, repo.fullName)).includes('push');
    const tag = details.tag;
    const platform = platformName(selected.platform);
    return {
      platform,
      scan: await deps.scans.results.forManifest(selected.digest),
      policy: repo.blockPullsAtSeverity,
      ...(mayPush && tag !== undefined && { scanForm: { action: `${tagHref(repo.fullName, tag)}/scan`, csrfToken } }),
      // The API addresses `<namespace>/<rest>`, the rest's slashes encoded; a name without a namespace has no address there.
      ...(tag !== undefined &&
        repo.namespace !== '' && {
          sbomHref: (format: string) =>
            `/api/v0/imagescan/sbom/${repo.namespace}/${encodeURIComponent(repo.name)}/${encodeURIComponent(tag)}` +
            `?format=${format}&platform=${encodeURIComponent(platform)}`,
        }),
    };
  }

  async function show(c: Context, name: string, href: string, load: () => Promise<TagDetails>) {
    let repo;
    let details;
    try {
      repo = await deps.repositories.get(webPrincipal(c), name);
      details = await load();
    } catch (err) {
      if (err instanceof AccountError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_INPUT')) {
        throw new WebError('NOT_FOUND', 'Not found', `${err.message}, or you do not have access to it.`);
      }
      throw err;
    }
    const wanted = c.req.query('platform');
    const selected = details.platforms.find((p) => p.digest === wanted) ?? details.platforms[0];
    const pullSource = await deps.caches.redirects.explain(webPrincipal(c), clientAddress(c));
    const vulnerabilities = selected && (await vulnerabilitiesOf(c, repo, details, selected));
    const body = (
      <TagPage
        host={host}
        repo={repo}
        details={details}
        selected={selected}
        href={href}
        pullSource={pullSource}
        signedIn={viewerOf(c) !== undefined}
        vulnerabilities={vulnerabilities}
      />
    );
    const title = details.tag !== undefined ? `${name}:${details.tag}` : name;
    return renderPage(c, cookies, { title, section: 'repositories' }, body);
  }

  app.get('/repositories/:name{.+}/-/tags/:tag', (c) => {
    const name = c.req.param('name');
    const tag = c.req.param('tag').slice(0, MAX_REFERENCE_LENGTH);
    return show(c, name, tagHref(name, tag), () => deps.images.byTag(webPrincipal(c), name, tag));
  });

  // "Scan now" (issue 12). Access: signed in with the push right (main/scans/image-scans.ts decides);
  // a caller who may not pull gets the page of a repository that does not exist.
  app.post('/repositories/:name{.+}/-/tags/:tag/scan', async (c) => {
    const { principal } = signedIn(c);
    const name = c.req.param('name');
    const tag = c.req.param('tag').slice(0, MAX_REFERENCE_LENGTH);
    let queued;
    try {
      queued = await deps.scans.scanTag(principal, name, tag);
    } catch (err) {
      if (err instanceof AccountError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_INPUT')) {
        throw new WebError('NOT_FOUND', 'Not found', `${err.message}, or you do not have access to it.`);
      }
      throw err;
    }
    const fresh = queued.filter((q) => q.outcome === 'queued').length;
    const text =
      queued.length === 0
        ? 'This tag has no image to scan.'
        : fresh === 0
          ? 'A scan of this image is already queued.'
          : `Scan queued (${fresh} platform${fresh === 1 ? '' : 's'}).`;
    return redirectWithFlash(c, cookies, tagHref(name, tag), { kind: 'success', text });
  });

  app.get('/repositories/:name{.+}/-/manifests/:digest', (c) => {
    const name = c.req.param('name');
    const digest = c.req.param('digest').slice(0, MAX_REFERENCE_LENGTH);
    return show(c, name, manifestHref(name, digest), () => deps.images.byDigest(webPrincipal(c), name, digest));
  });

  return app;
}
