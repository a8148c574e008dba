/**
 * @module The repository browser: `/` and `/repositories` (optionally `?namespace=` and a search
 * term `?q=`), and
 * `/repositories/<name>` with its tags and activity (and its settings form, for its
 * administrators). Everyone may browse; what is listed is what
 * the caller may pull (public repositories for anonymous visitors).
 */
import { Hono } from 'hono';
import { clientAddress } from '../../../src/http/node-bindings.js';
import { isRepoName } from '../../../src/oci/reference.js';
import { AccountError } from '../../accounts/errors.js';
import type { PullBlockSeverity } from '../../metadata/registry.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage, viewerOf, webPrincipal } from '../render.js';
import { RepositoriesPage, listHref, repositoryHref } from '../repositories.js';
import { MAX_SEARCH_LENGTH } from '../../accounts/repositories.js';
import { RepositoryPage } from '../repository.js';
import { repositoryStats, visibleNamespaces } from '../repository-index.js';
import type { WebDeps } from '../web-deps.js';
import { WebError } from '../web-error.js';
import { formChecked, formText } from './form.js';
import { signedIn } from './guards.js';

const PAGE_SIZE = 50;
const EVENTS_SHOWN = 25;
// A cursor is a repository or tag name; anything longer is not one.
const MAX_CURSOR_LENGTH = 256;

const cursor = (value: string | undefined) => (value && value.length <= MAX_CURSOR_LENGTH ? value : undefined);
const withAfter = (base: string, after: string) =>
  `${base}${base.includes('?') ? '&' : '?'}after=${encodeURIComponent(after)}`;

const notFound = (what: string) =>
  new WebError(
    'NOT_FOUND',
    `${what} not found`,
    `There is no ${what.toLowerCase()} with that name, or you do not have access to it.`,
  );

export function repositoryRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();
  const host = new URL(deps.publicUrl).host;
  const metadata = deps.registryMetadata;

  app.get('/', (c) => c.redirect('/repositories', 302));

  app.get('/repositories', async (c) => {
    const principal = webPrincipal(c);
    const namespace = c.req.query('namespace') || undefined;
    const after = cursor(c.req.query('after'));
    // A longer term matches nothing anyway: cut, not refused, as a search box should.
    const search = c.req.query('q')?.trim().slice(0, MAX_SEARCH_LENGTH) || undefined;
    // An unknown namespace lists empty, like one with nothing this caller may see.
    const page = await deps.repositories.list(principal, {
      limit: PAGE_SIZE,
      ...(namespace !== undefined && { namespace }),
      ...(search !== undefined && { search }),
      ...(after !== undefined && { after }),
    });
    const mayPull = async (name: string) => (await deps.accessControl.actionsFor(principal, name)).includes('pull');
    const namespaces = await visibleNamespaces(metadata, mayPull);
    const rows = [];
    for (const repo of page.items) rows.push({ ...repo, ...(await repositoryStats(metadata, repo.fullName)) });
    const base = listHref(namespace, search);
    const body = (
      <RepositoriesPage
        search={search}
        host={host}
        signedIn={viewerOf(c) !== undefined}
        namespaces={namespaces.names}
        namespacesTruncated={namespaces.truncated}
        namespace={namespace}
        rows={rows}
        firstHref={after !== undefined ? base : undefined}
        nextHref={page.next !== undefined ? withAfter(base, page.next) : undefined}
        now={deps.now()}
      />
    );
    return renderPage(c, cookies, { title: namespace ?? 'Repositories', section: 'repositories' }, body);
  });

  app.get('/repositories/:name{.+}', async (c) => {
    const principal = webPrincipal(c);
    const name = c.req.param('name');
    if (!isRepoName(name)) throw notFound('Repository');
    const after = cursor(c.req.query('after'));
    let repo;
    try {
      repo = await deps.repositories.get(principal, name);
    } catch (err) {
      if (err instanceof AccountError && err.code === 'NOT_FOUND') throw notFound('Repository');
      throw err;
    }
    const tags = await deps.repositories.tags(principal, name, {
      limit: PAGE_SIZE,
      ...(after !== undefined && { after }),
    });
    const { tagCount } = await repositoryStats(metadata, name);
    const events = await deps.repositories.events(principal, name, EVENTS_SHOWN);
    const mayAdminister = (await deps.accessControl.actionsFor(principal, name)).includes('delete');
    const base = repositoryHref(name);
    const body = (
      <RepositoryPage
        host={host}
        repo={repo}
        tags={tags.items}
        tagCount={tagCount}
        firstHref={after !== undefined ? base : undefined}
        nextHref={tags.next !== undefined ? withAfter(base, tags.next) : undefined}
        events={events}
        now={deps.now()}
        settingsCsrfToken={mayAdminister ? c.get('session')?.csrfToken : undefined}
        pullSource={await deps.caches.redirects.explain(principal, clientAddress(c))}
        signedIn={viewerOf(c) !== undefined}
      />
    );
    return renderPage(c, cookies, { title: name, section: 'repositories' }, body);
  });

  app.post('/repositories/:name{.+}/settings', async (c) => {
    const { principal } = signedIn(c);
    const name = c.req.param('name');
    const form = await c.req.parseBody();
    const visibility = formText(form, 'visibility');
    const blockPulls = formText(form, 'blockPullsAtSeverity');
    try {
      await deps.repositories.update(principal, name, {
        ...((visibility === 'public' || visibility === 'private') && { visibility }),
        immutableTags: formChecked(form, 'immutableTags'),
        // Checked by update: a value that is no severity is refused, not ignored.
        ...(blockPulls !== '' && { blockPullsAtSeverity: blockPulls as PullBlockSeverity }),
      });
    } catch (err) {
      if (err instanceof AccountError && err.code === 'NOT_FOUND') throw notFound('Repository');
      throw err;
    }
    return redirectWithFlash(c, cookies, repositoryHref(name), { kind: 'success', text: 'Repository settings saved.' });
  });

  return app;
}
