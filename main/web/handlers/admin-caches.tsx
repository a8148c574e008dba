/**
 * @module `/admin/caches`: the content caches with health, chain and redirect counts, and the
 * form to add one; `/admin/caches/<name>`: one cache, changed or removed. Writes go through
 * the content caches service the API uses, so its refusals (unknown upstream, a cycle, a bad
 * host or CIDR, a cache still used as an upstream) are the same, shown on the form.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { BodyData } from 'hono/utils/body';
import { AccountError } from '../../accounts/errors.js';
import type { ContentCache } from '../../caches/content-caches.js';
import { AdminCachePage } from '../admin-cache.js';
import { AdminCachesPage, cacheHref, type CacheForm, type CacheRow } from '../admin-caches.js';
import { cacheStatus, chainLabel, nodeRows, redirectCounts } from '../content-cache-status.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { accountErrorStatus, asSentence } from '../web-error-handler.js';
import { formText } from './form.js';
import { adminOnly } from './guards.js';

interface Refusal {
  error: string;
  status: ContentfulStatusCode;
}

/** A refusal the form can explain: the caches service's INVALID_INPUT and ALREADY_EXISTS. */
const explainable = (err: unknown): err is AccountError =>
  err instanceof AccountError && (err.code === 'INVALID_INPUT' || err.code === 'ALREADY_EXISTS');
const refusalOf = (err: AccountError): Refusal => ({ error: asSentence(err.message), status: accountErrorStatus(err) });

function readForm(data: BodyData): CacheForm {
  return {
    name: formText(data, 'name').trim(),
    host: formText(data, 'host').trim(),
    upstream: formText(data, 'upstream').trim(),
    region: formText(data, 'region').trim(),
    networks: formText(data, 'networks'),
  };
}

/** The service's input: networks one per line (spaces and commas also separate them). */
const inputOf = (form: CacheForm) => ({
  host: form.host,
  upstream: form.upstream,
  region: form.region,
  networks: form.networks.split(/[\s,]+/).filter(Boolean),
});

export function adminCacheRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();
  const { caches, probe, metrics } = deps.caches;

  /** The rows of `list`, whose chains are found in `all` (every cache). */
  const rowsOf = async (list: ContentCache[], all: ContentCache[] = list): Promise<CacheRow[]> => {
    const counts = await redirectCounts(metrics.redirects);
    return list.map((cache) => ({
      name: cache.name,
      host: cache.host,
      region: cache.region,
      upstream: cache.upstream,
      chain: chainLabel(all, cache.name),
      status: cacheStatus(probe, cache.name),
      networks: cache.networks,
      redirects: counts.get(cache.name) ?? 0,
      createdAt: cache.createdAt,
      nodes: nodeRows(probe, cache),
    }));
  };

  const showCaches = async (c: Context, retry?: Refusal & { form: CacheForm }) => {
    const { session } = adminOnly(c);
    const body = (
      <AdminCachesPage
        caches={await rowsOf(await caches.list())}
        csrfToken={session.csrfToken}
        now={deps.now()}
        form={retry?.form}
        error={retry?.error}
      />
    );
    return renderPage(
      c,
      cookies,
      { title: 'Content caches', section: 'admin', ...(retry && { status: retry.status }) },
      body,
    );
  };

  const showCache = async (
    c: Context,
    retry?: { edit?: { form: CacheForm; error: string }; removeError?: string; status: ContentfulStatusCode },
  ) => {
    const { session } = adminOnly(c);
    const cache = await caches.require(c.req.param('name') ?? '');
    const all = await caches.list();
    const [row] = await rowsOf([cache], all);
    const body = (
      <AdminCachePage
        cache={row!}
        usage={await deps.caches.usage(cache)}
        upstreams={all.filter((other) => other.name !== cache.name).map((other) => other.name)}
        dependants={all.filter((other) => other.upstream === cache.name).map((other) => other.name)}
        csrfToken={session.csrfToken}
        now={deps.now()}
        edit={retry?.edit}
        removeError={retry?.removeError}
      />
    );
    return renderPage(
      c,
      cookies,
      { title: cache.name, section: 'admin', ...(retry && { status: retry.status }) },
      body,
    );
  };

  app.get('/admin/caches', (c) => showCaches(c));

  app.post('/admin/caches', async (c) => {
    adminOnly(c);
    const form = readForm(await c.req.parseBody());
    try {
      await caches.create({ name: form.name, ...inputOf(form) });
    } catch (err) {
      if (explainable(err)) return showCaches(c, { form, ...refusalOf(err) });
      throw err;
    }
    // Probe the new cache now rather than at the next interval, as the API does.
    void probe.probeAll();
    return redirectWithFlash(c, cookies, '/admin/caches', {
      kind: 'success',
      text: `Content cache ${form.name} added. Users can now pick it on their profile page.`,
    });
  });

  app.get('/admin/caches/:name', (c) => showCache(c));

  app.post('/admin/caches/:name', async (c) => {
    adminOnly(c);
    const name = c.req.param('name');
    const form = { ...readForm(await c.req.parseBody()), name };
    try {
      await caches.update(name, inputOf(form));
    } catch (err) {
      if (explainable(err)) {
        const { error, status } = refusalOf(err);
        return showCache(c, { edit: { form, error }, status });
      }
      throw err;
    }
    void probe.probeAll();
    return redirectWithFlash(c, cookies, cacheHref(name), { kind: 'success', text: `Content cache ${name} saved.` });
  });

  app.post('/admin/caches/:name/remove', async (c) => {
    adminOnly(c);
    const name = c.req.param('name');
    try {
      await caches.remove(name);
    } catch (err) {
      if (explainable(err)) {
        const { error, status } = refusalOf(err);
        return showCache(c, { removeError: error, status });
      }
      throw err;
    }
    return redirectWithFlash(c, cookies, '/admin/caches', { kind: 'success', text: `Content cache ${name} removed.` });
  });

  return app;
}
